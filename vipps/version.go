package vipps

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.1.0"
