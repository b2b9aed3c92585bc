package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// liveWorkers is how many goroutines of the -live integration call the API.
const liveWorkers = 8

// integration is what -live runs beside the rotation: a merchant backend whose
// client follows the key file, calling the Management API as the sales unit
// through the SDK's services and, as payment code would, through HTTPClient.
type integration struct {
	stopped       atomic.Bool // checked between calls: every call started is finished, none is cut
	wg            sync.WaitGroup
	calls, failed atomic.Int64
}

func startIntegration(ctx context.Context, conn *exampleenv.Conn, cfg config) (*integration, error) {
	src, err := keys.NewFileSource(cfg.storePath)
	if err != nil {
		return nil, err
	}
	var c *portal.Client
	if conn.Sim != nil {
		c, err = conn.Sim.Client(vipps.Credentials{}, portal.WithKeySource(src))
	} else {
		c, err = portal.NewFromEnv(portal.WithKeySource(src))
	}
	if err != nil {
		return nil, err
	}
	in := &integration{}
	url := c.BaseURL() + "/management/v1/sales-units/" + cfg.msn
	hc := c.HTTPClient()
	for w := range liveWorkers {
		in.wg.Go(func() {
			for i := 0; !in.stopped.Load() && ctx.Err() == nil; i++ {
				in.call(ctx, c, hc, cfg.msn, url, (w+i)%2 == 0)
			}
		})
	}
	return in, nil
}

func (in *integration) call(ctx context.Context, c *portal.Client, hc *http.Client, msn, url string, viaService bool) {
	var err error
	if viaService {
		_, err = c.SalesUnits.Get(ctx, msn)
	} else {
		var req *http.Request
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, url, nil); err == nil {
			var resp *http.Response
			if resp, err = hc.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}
	}
	if ctx.Err() != nil {
		return // interrupted: this call does not count
	}
	in.calls.Add(1)
	if err != nil {
		in.failed.Add(1)
	}
}

// stop ends the workers and returns the calls they made and how many failed.
func (in *integration) stop() (calls, failed int64) {
	in.stopped.Store(true)
	in.wg.Wait()
	return in.calls.Load(), in.failed.Load()
}
