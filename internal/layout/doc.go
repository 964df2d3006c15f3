// Package layout holds no code: its tests keep the shape that makes
// encryptperm readable (files and functions of a size a reader takes in at
// once, an engine that keeps only the Applier's own methods, a share step
// that imports nothing of encryptperm), so that later work keeps it too.
package layout
