package doccheck_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snippetImports are what a fragment of Go in the docs may use without
// writing its imports: the SDK's public packages and the standard library a
// caller reaches for. A fragment runs inside
//
//	func(ctx context.Context, c *portal.Client) error
//
// so `ctx` and `c` (a client built by portal.New) are in scope; anything else
// it uses, it declares. A block that starts with "package" is a whole file.
var snippetImports = map[string]string{
	"context": "context", "errors": "errors", "fmt": "fmt", "io": "io", "log": "log", "slog": "log/slog",
	"http": "net/http", "httptest": "net/http/httptest", "os": "os", "time": "time", "testing": "testing",
	"json": "encoding/json", "strings": "strings", "synctest": "testing/synctest",
	"vipps": modulePath + "/vipps", "portal": modulePath + "/portal", "portaltest": modulePath + "/portal/portaltest",
	"salesunit": modulePath + "/salesunit", "keys": modulePath + "/keys", "users": modulePath + "/users",
	"webhooks": modulePath + "/webhooks",
}

// nestedImports are packages that come from a nested module of the
// repository (the directory): their export data comes from that module.
var nestedImports = map[string]struct{ path, dir string }{
	"etcdfleet": {modulePath + "/keys/etcdfleet", "keys/etcdfleet"},
	"clientv3":  {"go.etcd.io/etcd/client/v3", "keys/etcdfleet"},
}

type block struct {
	file string
	line int
	lang string
	code string
}

var fence = regexp.MustCompile("(?m)^```([a-z-]*)\\s*$")

// blocks returns the fenced code blocks of README.md and docs/*.md.
func blocks(t *testing.T) []block {
	files := []string{filepath.Join(root, "README.md")}
	more, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, more...)
	var out []block
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		text := string(b)
		locs := fence.FindAllStringSubmatchIndex(text, -1)
		require.Zero(t, len(locs)%2, "%s: unbalanced code fences", f)
		for i := 0; i < len(locs); i += 2 {
			open, close := locs[i], locs[i+1]
			rel, _ := filepath.Rel(root, f)
			out = append(out, block{file: rel, line: strings.Count(text[:open[0]], "\n") + 2,
				lang: text[open[2]:open[3]], code: text[open[1]+1 : close[0]]})
		}
	}
	return out
}

// exportData maps import paths to their compiled export data (go list -export).
func exportData(t *testing.T, dir string, pkgs ...string) map[string]string {
	cmd := exec.Command("go", append([]string{"list", "-export", "-deps", "-json=ImportPath,Export"}, pkgs...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "go list -export in %s: %s", dir, stderr)
	m := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct{ ImportPath, Export string }
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		m[p.ImportPath] = p.Export
	}
	return m
}

// TestDocCodeCompiles type-checks every Go block of README.md and docs/ with
// the module's own packages, so no example there names something that does
// not exist or calls it wrongly. (Unused variables and imports are allowed:
// a fragment shows a call, not a program.)
func TestDocCodeCompiles(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	all := blocks(t)
	var goBlocks []block
	for _, b := range all {
		if b.lang == "go" {
			goBlocks = append(goBlocks, b)
		}
	}
	require.NotEmpty(t, goBlocks, "README.md has Go code")

	var main []string
	for name, p := range snippetImports {
		if rel, ok := strings.CutPrefix(p, modulePath+"/"); ok {
			if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
				delete(snippetImports, name) // a package this tree does not have yet
				continue
			}
		}
		main = append(main, p)
	}
	export := exportData(t, root, main...)
	byDir := map[string][]string{}
	for _, n := range nestedImports {
		byDir[n.dir] = append(byDir[n.dir], n.path)
	}
	for dir, pkgs := range byDir {
		for k, v := range exportData(t, filepath.Join(root, dir), pkgs...) {
			export[k] = v
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := export[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	for _, b := range goBlocks {
		src := b.code
		if !strings.HasPrefix(strings.TrimSpace(src), "package ") {
			src = wrap(src)
		}
		f, err := parser.ParseFile(fset, fmt.Sprintf("%s:%d", b.file, b.line), src, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("%s:%d: the block does not parse: %v", b.file, b.line, err)
			continue
		}
		var hard []string
		conf := types.Config{Importer: imp, Error: func(err error) {
			if te, ok := err.(types.Error); ok && te.Soft {
				return // declared and not used, imported and not used
			}
			hard = append(hard, err.Error())
		}}
		_, _ = conf.Check("snippet", fset, []*ast.File{f}, nil)
		assert.Empty(t, hard, "%s:%d: the block does not compile:\n%s", b.file, b.line, src)
	}
}

// wrap makes a fragment a file: statements go into a function that has ctx
// and c; declarations (a test function, a type) stay at package level.
func wrap(code string) string {
	var imports strings.Builder
	for name, path := range snippetImports {
		fmt.Fprintf(&imports, "\t%s %q\n", name, path)
	}
	for name, n := range nestedImports {
		fmt.Fprintf(&imports, "\t%s %q\n", name, n.path)
	}
	head := "package snippet\n\nimport (\n" + imports.String() + ")\n\n"
	body := head + "func _(ctx context.Context, c *portal.Client) error {\n" + code + "\nreturn nil\n}\n"
	if _, err := parser.ParseFile(token.NewFileSet(), "", body, 0); err == nil {
		return body
	}
	return head + code
}

// TestDocCommandsExist: every `go run ./X` in README.md and docs/ names a
// directory of this repository that holds a program.
func TestDocCommandsExist(t *testing.T) {
	run := regexp.MustCompile(`go run (\./[\w./-]+)`)
	seen := 0
	for _, b := range blocks(t) {
		if b.lang != "sh" && b.lang != "bash" && b.lang != "" {
			continue
		}
		for _, m := range run.FindAllStringSubmatch(b.code, -1) {
			seen++
			files, _ := filepath.Glob(filepath.Join(root, m[1], "*.go"))
			assert.NotEmpty(t, files, "%s:%d: go run %s: no such program", b.file, b.line, m[1])
		}
	}
	assert.Greater(t, seen, 0, "the README gives go run commands")
}
