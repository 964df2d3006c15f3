// Command share-image-rd lets the ECS of every account in a Resource
// Directory, or in one of its folders, use the customer key of an encrypted
// image you share with them (the seed page's scenarios 2 and 3).
//
// By default it runs against the in-memory fake RAM; -real applies to RAM with
// the SDK's default credentials.
//
//	go run ./examples/share-image-rd -rd rd-3GabcD
//	go run ./examples/share-image-rd -folder rd-3GabcD/r-Wm12cd/fd-bOnB34ef
package main
