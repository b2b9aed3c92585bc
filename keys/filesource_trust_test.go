package keys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/vipps"
)

// keyFileBytes is the key file of set with inUse, as the rotate example writes it.
func keyFileBytes(t *testing.T, set keys.Set, inUse keys.Name) []byte {
	t.Helper()
	b, err := json.Marshal(keys.KeyFile{InUse: inUse, Keys: set.Reveal()})
	require.NoError(t, err)
	return b
}

// rewriteInPlace writes b over path without replacing the file (same inode),
// as a careless writer does, and gives it modification time mtime.
func rewriteInPlace(t *testing.T, path string, b []byte, mtime time.Time) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

// The values of these sets are as long as fileSet1's, so a rewrite keeps the size.
var (
	sameSizeSet = keys.Set{MSN: "123456", Environment: vipps.Production, ClientID: "id-1", ClientSecret: "Sup3r-S3cret-Uno",
		SubscriptionKeyPrimary: "prim4ry-uno", SubscriptionKeySecondary: "second4ry-uno"}
	planted = "Pl4nted-S3cret-Value"
)

// An operator who writes a key's value in the wrong place (inUse, msn,
// environment) or a file that is not what it should be gets an error that
// says where, never what: errors end up in logs.
func TestFileSourceErrorsNeverQuoteTheFile(t *testing.T) {
	dir := t.TempDir()
	set := fileSet1.Reveal()
	for name, body := range map[string]string{
		"secret as inUse":       fmt.Sprintf(`{"inUse":%q,"keys":%s}`, planted, mustJSON(t, set)),
		"secret as msn":         strings.Replace(string(keyFileBytes(t, fileSet1, keys.SubscriptionKeyPrimary)), `"msn":"123456"`, `"msn":"`+planted+`"`, 1),
		"secret as environment": strings.Replace(string(keyFileBytes(t, fileSet1, keys.SubscriptionKeyPrimary)), `"environment":"production"`, `"environment":"`+planted+`"`, 1),
		"secret with a line break": strings.Replace(string(keyFileBytes(t, fileSet1, keys.SubscriptionKeyPrimary)),
			`"clientSecret":"Sup3r-S3cret-One"`, `"clientSecret":"`+planted+`\n"`, 1),
		"not JSON":         `{"inUse":"subscriptionKeyPrimary","keys":{"clientSecret":"` + planted,
		"trailing garbage": string(keyFileBytes(t, fileSet1, keys.SubscriptionKeyPrimary)) + planted,
		"wrong shape":      `{"inUse":"subscriptionKeyPrimary","keys":["` + planted + `"]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			writeRaw(t, path, []byte(body))
			_, err := keys.NewFileSource(path)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), planted)
			assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), planted)
			assert.Contains(t, err.Error(), path, "the error names the file")

			// The same through a source already following a good file.
			good := filepath.Join(t.TempDir(), "keys.json")
			writeKeyFile(t, good, fileSet1, keys.SubscriptionKeyPrimary)
			fs, err := keys.NewFileSource(good)
			require.NoError(t, err)
			writeRaw(t, good, []byte(body))
			fs.Reload(context.Background())
			require.Error(t, fs.Err())
			assert.NotContains(t, fs.Err().Error(), planted)
			cur, _ := fs.Current()
			assert.Equal(t, fileSet1, cur, "the last good set stays in use")
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// A set that no request can carry (CR/LF in a subscription key, a NUL in the
// secret, a LF in the client id) fails every call with "invalid header field
// value" once in use: the file source refuses it and keeps the last good set.
func TestFileSourceRefusesSetsNoRequestCanCarry(t *testing.T) {
	for _, tc := range []struct {
		field string
		bad   func(*keys.Set)
	}{
		{"SubscriptionKeyPrimary", func(s *keys.Set) { s.SubscriptionKeyPrimary = "prim4ry\r\nX-Injected: 1" }},
		{"SubscriptionKeySecondary", func(s *keys.Set) { s.SubscriptionKeySecondary = "second4ry\n" }},
		{"ClientSecret", func(s *keys.Set) { s.ClientSecret = "Sup3r\x00S3cret" }},
		{"ClientID", func(s *keys.Set) { s.ClientID = "id-1\n" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.json")
			bad := fileSet2
			tc.bad(&bad)
			writeKeyFile(t, path, bad, keys.SubscriptionKeyPrimary)
			_, err := keys.NewFileSource(path)
			requireInvalid(t, err, path+": keys."+tc.field)

			writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
			fs, err := keys.NewFileSource(path)
			require.NoError(t, err)
			writeKeyFile(t, path, bad, keys.SubscriptionKeyPrimary)
			fs.Reload(context.Background())
			requireInvalid(t, fs.Err(), path+": keys."+tc.field)
			set, _, done := fs.Keys()
			done()
			assert.Equal(t, fileSet1, set, "the last good set stays in use")
		})
	}
}

// After a 401 the client reloads the source: the file must be read again even
// when it looks unchanged (rewritten in place within the same second, with
// the same size).
func TestFileSourceReloadRereadsAFileThatLooksUnchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
	mtime := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(path, mtime, mtime))
	fs, err := keys.NewFileSource(path, keys.CheckEvery(time.Hour))
	require.NoError(t, err)
	before, err := os.Stat(path)
	require.NoError(t, err)

	rewriteInPlace(t, path, keyFileBytes(t, sameSizeSet, keys.SubscriptionKeyPrimary), mtime)
	after, err := os.Stat(path)
	require.NoError(t, err)
	require.True(t, os.SameFile(before, after) && before.Size() == after.Size() && before.ModTime().Equal(after.ModTime()),
		"the rewrite left inode, size and time as they were")

	fs.Reload(context.Background())
	require.NoError(t, fs.Err())
	set, _ := fs.Current()
	assert.Equal(t, sameSizeSet, set, "Reload read the file although it looked unchanged")
}

// A key file is read only when it is a regular file no bigger than
// MaxKeyFileSize: a directory, a huge file (never read whole on the request
// path) or a FIFO (which would block the open until a writer comes) is
// refused at once, and a source already running keeps its last good set.
func TestFileSourceReadsOnlyBoundedRegularFiles(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	f, err := os.OpenFile(huge, os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(256<<20)) // sparse: nothing is written
	require.NoError(t, f.Close())
	cases := map[string]string{"a directory": t.TempDir(), "256 MiB": huge}
	if fifo := makeFIFO(t, dir); fifo != "" {
		cases["a FIFO"] = fifo
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			err := withinBound(t, func() error { _, err := keys.NewFileSource(path); return err })
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)

			// A running source whose file is replaced by it.
			good := filepath.Join(t.TempDir(), "keys.json")
			writeKeyFile(t, good, fileSet1, keys.SubscriptionKeyPrimary)
			fs, err := keys.NewFileSource(good)
			require.NoError(t, err)
			require.NoError(t, os.Remove(good))
			require.NoError(t, os.Symlink(path, good))
			require.NoError(t, withinBound(t, func() error { fs.Reload(context.Background()); return nil }))
			require.Error(t, fs.Err())
			set, _ := fs.Current()
			assert.Equal(t, fileSet1, set)
		})
	}
	_, err = keys.NewFileSource(huge)
	assert.ErrorContains(t, err, fmt.Sprintf("more than the %d", keys.MaxKeyFileSize))
}

// withinBound runs f and fails the test if it has not returned within a
// minute (a blocked open would otherwise hang the test run).
func withinBound(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("blocked: it did not return within a minute")
		return nil
	}
}

// A key file readable or writable by its group or others is refused, as ssh
// refuses such a private key: the keys in it are no longer the owner's alone.
func TestFileSourceRefusesAKeyFileOpenToOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not say who may read a file on Windows")
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602} {
		require.NoError(t, os.Chmod(path, mode))
		_, err := keys.NewFileSource(path)
		require.Error(t, err, "mode %04o", mode)
		assert.Contains(t, err.Error(), fmt.Sprintf("mode %04o", mode))
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		require.NoError(t, os.Chmod(path, mode))
		_, err := keys.NewFileSource(path)
		require.NoError(t, err, "mode %04o", mode)
	}

	require.NoError(t, os.Chmod(path, 0o600))
	fs, err := keys.NewFileSource(path)
	require.NoError(t, err)
	b := keyFileBytes(t, fileSet2, keys.SubscriptionKeySecondary)
	require.NoError(t, os.WriteFile(path+".tmp", b, 0o644))
	require.NoError(t, os.Chmod(path+".tmp", 0o644)) // whatever the umask
	require.NoError(t, os.Rename(path+".tmp", path))
	fs.Reload(context.Background())
	require.ErrorContains(t, fs.Err(), "open to its group or others")
	set, _ := fs.Current()
	assert.Equal(t, fileSet1, set, "the set of a file open to others is not taken")
}

// A writer that rewrites the file in place while it is read must not make the
// source take a set made of both versions: the source sees the file changed
// under the read and reads it again.
func TestFileSourceNeverTakesATornRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	oldFile := keyFileBytes(t, fileSet1, keys.SubscriptionKeyPrimary)
	newFile := keyFileBytes(t, sameSizeSet, keys.SubscriptionKeyPrimary)
	require.Len(t, newFile, len(oldFile))
	cut := bytes.Index(oldFile, []byte(`"subscriptionKeyPrimary":"`)) // the client secret is before, the subscription keys after
	require.Positive(t, cut)
	writeRaw(t, path, oldFile)

	var rewrites atomic.Int32
	tornOnce := func(r io.Reader) io.Reader {
		if rewrites.Load() > 0 {
			return r
		}
		return &midRead{r: r, at: cut, then: func() {
			rewrites.Add(1)
			rewriteInPlace(t, path, newFile, time.Now().Add(time.Hour))
		}}
	}
	fs, err := keys.NewFileSource(path, keys.WithReadWrapper(tornOnce))
	require.NoError(t, err)
	assert.Equal(t, int32(1), rewrites.Load(), "the writer struck in the middle of the first read")
	set, _ := fs.Current()
	assert.Equal(t, sameSizeSet, set, "the whole new file, never half of each")

	// A writer that strikes in every read: after a second try the source
	// gives up and keeps the set it has.
	always := func(r io.Reader) io.Reader {
		return &midRead{r: r, at: cut, then: func() {
			rewriteInPlace(t, path, oldFile, time.Now().Add(time.Duration(rewrites.Add(1))*time.Hour))
		}}
	}
	writeRaw(t, path, newFile)
	_, err = keys.NewFileSource(path, keys.WithReadWrapper(always))
	assert.ErrorContains(t, err, "changed while it was read, twice")
}

// midRead reads up to at bytes of r, runs then, and reads the rest.
type midRead struct {
	r    io.Reader
	at   int
	n    int
	then func()
}

func (m *midRead) Read(p []byte) (int, error) {
	if m.then != nil {
		if m.n == m.at {
			m.then()
			m.then = nil
		} else if len(p) > m.at-m.n {
			p = p[:m.at-m.n]
		}
	}
	n, err := m.r.Read(p)
	m.n += n
	return n, err
}

// The interval between looks is timed on the monotonic clock (time since the
// source was made), not on the wall clock, whose steps back (NTP, a VM
// restored) would otherwise stop the source following its file.
func TestFileSourceSchedulesLooksOnItsMonotonicClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
	var elapsed atomic.Int64
	fs, err := keys.NewFileSource(path, keys.WithElapsed(func() time.Duration { return time.Duration(elapsed.Load()) }))
	require.NoError(t, err)
	writeKeyFile(t, path, fileSet2, keys.SubscriptionKeySecondary)

	elapsed.Store(int64(keys.DefaultCheckEvery - time.Nanosecond))
	set, _, done := fs.Keys()
	done()
	assert.Equal(t, fileSet1, set, "not yet")
	elapsed.Store(int64(keys.DefaultCheckEvery))
	set, _, done = fs.Keys()
	done()
	assert.Equal(t, fileSet2, set, "CheckEvery passed on the monotonic clock")
}
