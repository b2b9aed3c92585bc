package portaltest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault describes a failure to inject into matching requests
// ([Server.InjectFault]). A request the fault affects is logged with a
// description of it (LoggedRequest.Fault) and counted by
// [Server.FaultsInjected].
type Fault struct {
	Operation      string        // an Op* constant; "" = every operation
	Times          int           // how many matching requests to affect; 0 = 1; -1 = unlimited
	Probability    float64       // >0: each matching request is affected with this probability
	Status         int           // 400-599: answer it with a Problem, without doing the work; 0: none
	RetryAfter     time.Duration // with Status 429/503: Retry-After header
	RetryAfterDate bool          // send Retry-After as an HTTP-date
	Delay          time.Duration // wait this long (or until the request's context ends) first
	DropAfterWork  bool          // do the work, then close the connection without answering
}

type faultEntry struct {
	f    Fault
	left int // -1 = unlimited
}

// InjectFault adds a fault; faults are tried in the order they were added.
// A fault the contract cannot answer is refused with an error naming the
// field, and nothing is added: Operation must be "" or one of the contract's
// ids (the Op* constants; the error lists them); Status must be 0 (no answer
// of its own) or an error status, 400-599 (a 2xx or 3xx would pass an error
// body off as a success or a redirect); Times at least -1; Probability within
// 0-1; Delay and RetryAfter not negative.
func (s *Server) InjectFault(f Fault) error {
	if err := f.check(); err != nil {
		return err
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultEntry{f: f, left: left})
	return nil
}

func (f Fault) check() error {
	if f.Operation != "" {
		if err := checkOperation(f.Operation); err != nil {
			return fmt.Errorf("portaltest: Fault.Operation: %w", err)
		}
	}
	switch {
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("portaltest: Fault.Status %d is outside 400-599 (use 0 for a fault without a status of its own)", f.Status)
	case f.Times < -1:
		return fmt.Errorf("portaltest: Fault.Times %d: want -1 (unlimited), 0 (once) or a positive count", f.Times)
	case f.Probability < 0 || f.Probability > 1 || math.IsNaN(f.Probability):
		return fmt.Errorf("portaltest: Fault.Probability %v is outside 0-1", f.Probability)
	case f.Delay < 0:
		return fmt.Errorf("portaltest: Fault.Delay %v is negative", f.Delay)
	case f.RetryAfter < 0:
		return fmt.Errorf("portaltest: Fault.RetryAfter %v is negative", f.RetryAfter)
	}
	return nil
}

// ClearFaults removes every fault not yet used up.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FaultsInjected counts requests a fault affected.
func (s *Server) FaultsInjected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultsInjected
}

// pickFault chooses the fault for one request of operation op, if any.
func (s *Server) pickFault(op string) (*Fault, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, fe := range s.faults {
		if fe.f.Operation != "" && fe.f.Operation != op {
			continue
		}
		if fe.f.Probability > 0 && s.rng.float() >= fe.f.Probability {
			continue
		}
		if fe.left > 0 {
			fe.left--
			if fe.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.faultsInjected++
		f := fe.f
		return &f, describe(f)
	}
	return nil, ""
}

func describe(f Fault) string {
	out := ""
	if f.Delay > 0 {
		out += "delay " + f.Delay.String() + " "
	}
	if f.Status != 0 {
		out += "status " + strconv.Itoa(f.Status) + " "
	}
	if f.DropAfterWork {
		out += "drop-after-work "
	}
	if out == "" {
		return "none"
	}
	return out[:len(out)-1]
}

func faultResponse(f *Fault, instance string, now time.Time) *response {
	name := pInternal
	switch {
	case f.Status == http.StatusTooManyRequests:
		name = pRateLimited
	case f.Status == 502 || f.Status == 503 || f.Status == 504:
		name = pUnavailable
	case f.Status < 500:
		name = pInvalidRequest
	}
	resp := problemResponse(newProblem(f.Status, name, fmt.Sprintf("injected fault: %d", f.Status)), instance)
	resp.problem = name
	if f.RetryAfter > 0 {
		if f.RetryAfterDate {
			resp.header.Set("Retry-After", now.Add(f.RetryAfter).UTC().Format(http.TimeFormat))
		} else {
			secs := int((f.RetryAfter + time.Second - 1) / time.Second)
			resp.header.Set("Retry-After", strconv.Itoa(secs))
		}
	}
	return resp
}
