//go:build race

package main

// raceBuild: the tests run with -race, so the portalctl they run is built with it too.
const raceBuild = true
