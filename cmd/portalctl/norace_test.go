//go:build !race

package main

// raceBuild: the tests run without -race.
const raceBuild = false
