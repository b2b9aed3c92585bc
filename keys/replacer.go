package keys

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// Replacer replaces one key of a sales unit inside [Service.Rotate] and
// returns the whole new set: the one step of a rotation that differs between a
// portal that has an API for it and Vipps today, where a person presses a
// button on portal.vippsmobilepay.com. Rotate's default (a nil
// [RotateOptions.Replacer]) calls [Service.Regenerate]; [ManualReplacer] asks
// an operator. Rotate verifies every set a Replacer returns before it stores it.
type Replacer interface {
	Replace(ctx context.Context, r Replacement) (Set, error)
}

// Replacement is one key for a [Replacer] to replace.
type Replacement struct {
	Current Set  // the set before the change (Current.MSN names the sales unit)
	Name    Name // the key to replace
	// Verify asks the token endpoint of the set's environment whether a
	// candidate set works ([Service.Verify]). A Replacer that gets values
	// from a person uses it to refuse a value that does not work.
	Verify func(ctx context.Context, candidate Set) (*Verification, error)
}

// ReplacerFunc adapts a function to a [Replacer].
type ReplacerFunc func(ctx context.Context, r Replacement) (Set, error)

// Replace calls f.
func (f ReplacerFunc) Replace(ctx context.Context, r Replacement) (Set, error) {
	return f(ctx, r)
}

// portalReplacer is Rotate's default Replacer: [Service.Regenerate].
func (s *Service) portalReplacer() Replacer {
	return ReplacerFunc(func(ctx context.Context, r Replacement) (Set, error) {
		set, err := s.Regenerate(ctx, r.Current.MSN, r.Name)
		if err != nil {
			return Set{}, err
		}
		return *set, nil
	})
}

// DefaultPortalURL is where [ManualReplacer] sends the operator.
const DefaultPortalURL = "https://portal.vippsmobilepay.com"

// DefaultManualTries bounds how many pasted values [ManualReplacer] tries per key.
const DefaultManualTries = 3

// ManualReplacer is the [Replacer] for merchants against Vipps today,
// where no API regenerates keys: it tells an operator (on Out) which button to
// press on portal.vippsmobilepay.com for which sales unit and key, reads the new value
// they paste (one line from In), and verifies it against the real token
// endpoint before returning it. A value that does not get a token is refused
// and asked for again, at most MaxTries times; nothing is returned, and so
// nothing stored, until a value verifies. For the client secret the operator
// pastes the secret, for a subscription key the key, for the client id the id.
//
// Use it by pointer, and give Rotate the keys you hold in [RotateOptions.Current]
// (there is no API to read them). Reading In cannot be interrupted by ctx; the
// context is checked before and after each line.
type ManualReplacer struct {
	In        io.Reader // the operator's answers, one value per line (os.Stdin)
	Out       io.Writer // instructions for the operator (os.Stdout)
	MaxTries  int       // values tried per key before giving up; 0 means DefaultManualTries
	PortalURL string    // where the operator goes; "" means DefaultPortalURL

	mu  sync.Mutex
	src io.Reader
	br  *bufio.Reader
}

// Replace asks the operator to regenerate r.Name on the portal and to paste
// the new value, which it checks with r.Verify (POST /accesstoken/get).
func (m *ManualReplacer) Replace(ctx context.Context, r Replacement) (Set, error) {
	switch {
	case m.In == nil:
		return Set{}, core.Invalid("ManualReplacer.In", "is required")
	case m.Out == nil:
		return Set{}, core.Invalid("ManualReplacer.Out", "is required")
	case !r.Name.Valid():
		return Set{}, core.Invalid("Replacement.Name", "must be a key name, got %q", string(r.Name))
	case r.Verify == nil:
		return Set{}, core.Invalid("Replacement.Verify", "is required: a pasted value is verified before it is used")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.br == nil || m.src != m.In {
		m.src = m.In
		if br, ok := m.In.(*bufio.Reader); ok {
			m.br = br
		} else {
			m.br = bufio.NewReader(m.In)
		}
	}
	tries := m.MaxTries
	if tries <= 0 {
		tries = DefaultManualTries
	}
	portalURL := m.PortalURL
	if portalURL == "" {
		portalURL = DefaultPortalURL
	}
	msn, what := r.Current.MSN, r.Name.label()
	m.say("\nSales unit %s (%s): regenerate the %s.\n", msn, r.Current.Environment, what)
	m.say("  1. Open %s and choose the sales unit with MSN %s.\n", portalURL, msn)
	m.say("  2. Go to For developers > API keys > Show keys.\n")
	m.say("  3. Press Regenerate next to the %s, and copy the new value.\n", what)
	var lastErr error
	for try := 1; try <= tries; try++ {
		m.say("Paste the new %s for sales unit %s and press Enter (try %d of %d): ", what, msn, try, tries)
		if err := ctx.Err(); err != nil {
			return Set{}, err
		}
		line, err := m.br.ReadString('\n')
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return Set{}, fmt.Errorf("keys: reading the new %s of sales unit %s from the operator: %w", r.Name, msn, err)
		}
		if err := ctx.Err(); err != nil {
			return Set{}, err
		}
		v := strings.TrimSpace(line)
		switch {
		case v == "":
			lastErr = errors.New("nothing was pasted")
			m.say("\nNothing was pasted.\n")
			continue
		case vipps.Secret(v) == r.Current.value(r.Name):
			lastErr = errors.New("the value pasted is the current one")
			m.say("\nThat is the current value, not a new one: press Regenerate first, then paste the new value.\n")
			continue
		}
		cand := r.Current.with(r.Name, v)
		cand.UpdatedAt = time.Now()
		ver, err := r.Verify(ctx, cand)
		if ver == nil {
			return Set{}, fmt.Errorf("keys: verifying the pasted %s of sales unit %s: %w", r.Name, msn, err)
		}
		if ver.Works(r.Name) {
			m.say("\nVerified: sales unit %s gets an access token with the new %s.\n", msn, what)
			return cand, nil
		}
		if kerr := ver.errFor(r.Name); kerr != nil {
			err = kerr
		} else if err == nil {
			err = errors.New("no token was issued")
		}
		if !rejected(err) {
			// The token endpoint could not say (no answer, 5xx): stop rather than
			// blame the operator; nothing has been stored.
			return Set{}, fmt.Errorf("keys: verifying the pasted %s of sales unit %s: %w", r.Name, msn, err)
		}
		lastErr = err
		m.say("\nThat value does not work: the token endpoint refused it (%s). Copy the whole new value and try again.\n", reason(err))
	}
	return Set{}, fmt.Errorf("keys: no working %s for sales unit %s after %d tries; nothing was stored: %w", r.Name, msn, tries, lastErr)
}

func (m *ManualReplacer) say(format string, args ...any) {
	_, _ = fmt.Fprintf(m.Out, format, args...)
}

// rejected reports whether err says the credentials were refused (a wrong
// value) rather than that the endpoint could not answer.
func rejected(err error) bool {
	var e *vipps.Error
	return errors.As(err, &e) && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusForbidden)
}

// reason is a short, secret-free account of a rejection for the operator.
func reason(err error) string {
	var e *vipps.Error
	if errors.As(err, &e) {
		s := fmt.Sprintf("%d", e.StatusCode)
		if e.Problem != "" {
			s += " " + e.Problem
		}
		if e.Detail != "" {
			s += ": " + e.Detail
		} else if e.Title != "" {
			s += ": " + e.Title
		}
		return s
	}
	return err.Error()
}
