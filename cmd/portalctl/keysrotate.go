package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

func (a *app) rotateKeysCmd() *cobra.Command {
	var (
		store                            string
		manual, subscriptionKeys, secret bool
		drain                            time.Duration
	)
	cmd := a.verb("rotate MSN", "Replace a unit's keys without downtime, writing each new set to the key file",
		"  portalctl keys rotate 123456 --store keys.json\n"+
			"  portalctl keys rotate 123456 --store keys.json --subscription-keys --drain 30s --json\n"+
			"  portalctl keys rotate 123456 --store keys.json --client-secret --manual",
		cobra.ExactArgs(1), true, func(ctx context.Context, c *portal.Client, args []string) error {
			msn := args[0]
			if drain < 0 || (drain > 0 && drain <= keys.DefaultCheckEvery) {
				return usage("--drain must be longer than %s, the key file's check interval (keys.DefaultCheckEvery), plus your requests' time; 0 waits not at all (only when nothing uses the keys), got %s",
					keys.DefaultCheckEvery, drain)
			}
			if !subscriptionKeys && !secret {
				subscriptionKeys, secret = true, true
			}
			current, inUse, err := keyFileOf(store, msn)
			if err != nil {
				return err
			}
			if current == nil && manual {
				return usage("--store %s does not exist: with --manual, it must hold the keys your integration uses now (there is no API to read them): write it with 'portalctl keys get %s --store %s', or by hand (mode 0600)",
					store, msn, store)
			}
			strategy := keys.DrainStrategy{Drain: drain}
			if drain == 0 {
				strategy.Drain = -1 // the SDK's "no wait"; its 0 is the default
			}
			lastInUse := inUse
			opts := keys.RotateOptions{SubscriptionKeys: subscriptionKeys, ClientSecret: secret, Strategy: strategy, InUse: inUse, Current: current,
				Store: func(_ context.Context, set keys.Set, inUse keys.Name) error {
					lastInUse = inUse
					return keys.WriteKeyFile(store, keys.KeyFile{InUse: inUse, Keys: set.Reveal()}, true)
				},
				OnStep: func(s keys.RotationStep) { fmt.Fprintf(a.stderr, "%s: %s\n", msn, stepText(s)) },
			}
			if manual {
				opts.Replacer = &keys.ManualReplacer{In: a.stdin, Out: a.stderr}
			}
			rep, err := c.Keys.Rotate(ctx, msn, opts)
			if err != nil {
				err = rescueKeys(store, lastInUse, err)
			}
			if rep != nil {
				if perr := a.record(rotationOf(rep, store)); perr != nil {
					return perr
				}
			}
			return err
		})
	cmd.Long = "rotate runs keys.Service.Rotate with a keys.DrainStrategy for an integration that follows the\n" +
		"key file of --store with keys.NewFileSource: after each change the new set is verified (it gets\n" +
		"a token) and written to the file (mode 0600, replaced atomically); a key the integration used is\n" +
		"regenerated only --drain after the file stopped naming it. The drain must exceed the source's\n" +
		"check interval (keys.DefaultCheckEvery, 1s) plus the time your requests take.\n\n" +
		"The file is the integration's: when it exists it must hold MSN's keys, which are the set rotated\n" +
		"(and its inUse the key in use); it is replaced with each new set, so no --force is asked. When it\n" +
		"does not exist, the keys are read with the portal's keys operation and the primary is in use.\n\n" +
		"Without --subscription-keys or --client-secret both are replaced. --manual is for Vipps today,\n" +
		"where no API regenerates keys: an operator presses Regenerate on portal.vippsmobilepay.com and pastes each\n" +
		"new value on stdin (instructions on stderr); a value that gets no token is asked for again.\n\n" +
		"Steps are reported on stderr, the report on stdout. If a new set could not be written, it is\n" +
		"written beside the file (FILE.unsaved-TIME, mode 0600) and the error says so."
	f := cmd.Flags()
	f.StringVar(&store, "store", "", "the key `FILE` the integration follows (keys.KeyFile, mode 0600) (required)")
	f.BoolVar(&subscriptionKeys, "subscription-keys", false, "replace both subscription keys, one at a time")
	f.BoolVar(&secret, "client-secret", false, "replace the client secret")
	f.DurationVar(&drain, "drain", keys.DefaultDrain, "wait this long after the file stopped naming a key before that key is regenerated (0: no wait)")
	f.BoolVar(&manual, "manual", false, "ask an operator for each new value (stdin), for Vipps today")
	_ = cmd.MarkFlagRequired("store")
	_ = cmd.MarkFlagFilename("store", "json")
	return cmd
}

// keyFileOf reads the key file at path as keys.NewFileSource does: the set
// in it and its key in use; nil and the primary when there is no file. A
// file of another unit, or one no source would read, is refused.
func keyFileOf(path, msn string) (*keys.Set, keys.Name, error) {
	src, err := keys.NewFileSource(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, keys.SubscriptionKeyPrimary, nil
	}
	if err != nil {
		return nil, "", usage("--store %s: %v", path, err)
	}
	set, inUse := src.Current()
	if set.MSN != msn {
		return nil, "", usage("--store %s holds the keys of sales unit %s, not %s", path, set.MSN, msn)
	}
	return &set, inUse, nil
}

// rescueKeys writes a set the rotation could not store beside the key file,
// so that keys already in force at Vipps are not lost, and says where
// (never what).
func rescueKeys(store string, inUse keys.Name, err error) error {
	set, ok := keys.UnsavedSet(err)
	if !ok {
		return err
	}
	var se *keys.StoreError
	if errors.As(err, &se) && se.InUse.IsSubscriptionKey() {
		inUse = se.InUse
	}
	name := fmt.Sprintf("%s.unsaved-%s", store, time.Now().UTC().Format("20060102T150405.000Z"))
	if werr := keys.WriteKeyFile(name, keys.KeyFile{InUse: inUse, Keys: set.Reveal()}, false); werr != nil {
		return fmt.Errorf("%w; the new keys, in force at Vipps, could not be written to %s either (%v): read them on portal.vippsmobilepay.com", err, name, werr)
	}
	return fmt.Errorf("%w; the new keys, in force at Vipps, are in %s (mode 0600): move it to %s", err, name, store)
}

// stepText is a step for the progress on stderr.
func stepText(s keys.RotationStep) string {
	text := s.String()
	if s.Action == keys.ActionDrain {
		text += fmt.Sprintf(" (waited %s)", s.Took.Round(time.Millisecond))
	}
	return text
}

// rotation is a keys.RotationReport for --json and the record view, with
// the key file it wrote.
type rotation struct {
	MSN         string            `json:"msn"`
	Environment vipps.Environment `json:"environment"`
	Rotated     []keys.Name       `json:"rotated"`
	InUse       keys.Name         `json:"inUse"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	KeyFile     string            `json:"keyFile"`
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished"`
	Steps       []rotationStep    `json:"steps"`
}

type rotationStep struct {
	Action      keys.Action `json:"action"`
	Key         keys.Name   `json:"key,omitempty"`
	At          time.Time   `json:"at"`
	UpdatedAt   time.Time   `json:"updatedAt,omitzero"`
	TookSeconds float64     `json:"tookSeconds,omitempty"` // a drain's wait
}

func rotationOf(r *keys.RotationReport, keyFile string) rotation {
	out := rotation{MSN: r.MSN, Environment: r.Environment, Rotated: append([]keys.Name{}, r.Rotated...), InUse: r.InUse,
		UpdatedAt: r.UpdatedAt, KeyFile: keyFile, Started: r.Started, Finished: r.Finished, Steps: []rotationStep{}}
	for _, s := range r.Steps {
		out.Steps = append(out.Steps, rotationStep{Action: s.Action, Key: s.Key, At: s.At, UpdatedAt: s.UpdatedAt, TookSeconds: s.Took.Seconds()})
	}
	return out
}
