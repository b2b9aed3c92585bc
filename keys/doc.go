// Package keys reads, regenerates, verifies and rotates the API keys of sales units.
package keys
