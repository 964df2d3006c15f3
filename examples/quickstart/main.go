// Command quickstart builds the grants of the seed scenarios and prints them.
package main

import "fmt"

func main() {
	fmt.Println("encryptperm quickstart")
}
