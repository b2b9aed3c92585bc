package core

// UseAttemptClockInBubble puts c's attempts on its shared attempt clock inside
// a synctest bubble too, so tests can drive that clock with fake time.
func UseAttemptClockInBubble(c *Client) {
	c.retry.HTTPClient.Transport.(*attemptGuard).clockInBubble = true
}
