// Package doccheck_test holds checks of the module's documentation: the doc
// comments of every public package, and the code in README.md and docs/.
package doccheck_test

import (
	"go/ast"
	"go/build"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/vippsportal/sdk"

// root is the module's directory (this test runs in internal/doccheck).
var root = func() string { r, _ := filepath.Abs("../.."); return r }()

// publicPackages are the directories of every package a user can import:
// everything but internal/, examples/ and commands, nested modules included.
func publicPackages(t *testing.T) []string {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		name := d.Name()
		if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "internal" || name == "examples" || name == "cmd" || name == "docs") {
			return filepath.SkipDir
		}
		if pkgFiles(p) != nil {
			dirs = append(dirs, rel)
		}
		return nil
	})
	require.NoError(t, err)
	require.Contains(t, dirs, "vipps")
	require.Contains(t, dirs, "portal")
	return dirs
}

func pkgFiles(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var files []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	return files
}

// docs caches the documentation of packages by import path.
var docs sync.Map // import path -> *doc.Package (nil when it cannot be read)

func loadDoc(t *testing.T, importPath, dir string) *doc.Package {
	if v, ok := docs.Load(importPath); ok {
		return v.(*doc.Package)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, f := range pkgFiles(dir) {
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, af)
	}
	var p *doc.Package
	if len(files) > 0 {
		var err error
		p, err = doc.NewFromFiles(fset, files, importPath)
		require.NoError(t, err)
	}
	docs.Store(importPath, p)
	return p
}

// dirOf finds the source of a package a link names.
func dirOf(importPath, from string) string {
	switch {
	case importPath == modulePath:
		return root
	case strings.HasPrefix(importPath, modulePath+"/"):
		return filepath.Join(root, strings.TrimPrefix(importPath, modulePath+"/"))
	case !strings.Contains(strings.SplitN(importPath, "/", 2)[0], "."):
		return filepath.Join(build.Default.GOROOT, "src", importPath)
	}
	out, err := exec.Command("go", "list", "-C", from, "-f", "{{.Dir}}", importPath).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func hasSym(p *doc.Package, recv, name string) bool {
	if recv == "" {
		for _, v := range append(slices.Clone(p.Consts), p.Vars...) {
			if slices.Contains(v.Names, name) {
				return true
			}
		}
		for _, f := range p.Funcs {
			if f.Name == name {
				return true
			}
		}
	}
	for _, typ := range p.Types {
		if recv == "" {
			if typ.Name == name {
				return true
			}
			for _, v := range append(slices.Clone(typ.Consts), typ.Vars...) {
				if slices.Contains(v.Names, name) {
					return true
				}
			}
			for _, f := range typ.Funcs {
				if f.Name == name {
					return true
				}
			}
			continue
		}
		if typ.Name != recv {
			continue
		}
		for _, m := range typ.Methods {
			if m.Name == name {
				return true
			}
		}
		// A field or an interface's method: [RotateOptions.Store].
		for _, spec := range typ.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			var list *ast.FieldList
			switch x := ts.Type.(type) {
			case *ast.StructType:
				list = x.Fields
			case *ast.InterfaceType:
				list = x.Methods
			}
			if list == nil {
				continue
			}
			for _, f := range list.List {
				for _, n := range f.Names {
					if n.Name == name {
						return true
					}
				}
				if len(f.Names) == 0 { // an embedded field is named by its type
					if strings.HasSuffix(typeName(f.Type), name) {
						return true
					}
				}
			}
		}
	}
	return false
}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.StarExpr:
		return typeName(x.X)
	}
	return ""
}

var builtins = map[string]bool{"error": true, "string": true, "any": true, "bool": true, "int": true, "int64": true, "nil": true, "byte": true, "len": true}

// looksLikeLink is bracketed text a writer meant as a doc link: an identifier
// or a qualified one ([Set], [vipps.Secret], [Set.Reveal]); words in capitals
// ([REDACTED], [DEVELOPER]) are text.
var looksLikeLink = regexp.MustCompile(`\[([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2})\]`)

func allCaps(s string) bool { return strings.ToUpper(s) == s }

// TestDocLinksResolve: every doc link in the documentation of a public package
// names something that exists, so go doc and pkgsite render it as a link. A
// link to a package the documented package does not import must use its full
// import path ([github.com/vippsportal/sdk/portal.Client]).
func TestDocLinksResolve(t *testing.T) {
	links := 0
	for _, rel := range publicPackages(t) {
		dir := filepath.Join(root, rel)
		importPath := modulePath + "/" + filepath.ToSlash(rel)
		p := loadDoc(t, importPath, dir)
		if p == nil {
			continue
		}
		imports := map[string]string{}
		for _, imp := range p.Imports {
			imports[imp[strings.LastIndex(imp, "/")+1:]] = imp
		}
		parse := comment.Parser{
			LookupPackage: func(name string) (string, bool) { ip, ok := imports[name]; return ip, ok },
			LookupSym:     func(string, string) bool { return true },
		}
		check := func(where, text string) {
			if text == "" {
				return
			}
			d := parse.Parse(text)
			walkText(d, func(x comment.Text) {
				switch x := x.(type) {
				case *comment.DocLink:
					links++
					if x.ImportPath == "" && x.Recv == "" && (builtins[x.Name] || allCaps(x.Name)) {
						return
					}
					target := p
					if ip := x.ImportPath; ip != "" {
						d := dirOf(ip, dir)
						if d == "" {
							t.Errorf("%s: %s: doc link to %s: package not found", rel, where, ip)
							return
						}
						target = loadDoc(t, ip, d)
					}
					if target == nil || (x.Name != "" && !hasSym(target, x.Recv, x.Name)) {
						t.Errorf("%s: %s: doc link [%s] does not resolve", rel, where, linkText(x))
					}
				case comment.Plain:
					for _, m := range looksLikeLink.FindAllStringSubmatch(string(x), -1) {
						if !allCaps(strings.ReplaceAll(m[1], ".", "")) {
							t.Errorf("%s: %s: [%s] looks like a doc link but will not render as one (a package it does not import needs its full import path; a letter right after the bracket makes it text)", rel, where, m[1])
						}
					}
				}
			})
		}
		check("package doc", p.Doc)
		for _, v := range append(slices.Clone(p.Consts), p.Vars...) {
			check(strings.Join(v.Names, ","), v.Doc)
		}
		for _, f := range p.Funcs {
			check(f.Name, f.Doc)
		}
		for _, typ := range p.Types {
			check(typ.Name, typ.Doc)
			for _, v := range append(slices.Clone(typ.Consts), typ.Vars...) {
				check(strings.Join(v.Names, ","), v.Doc)
			}
			for _, f := range append(slices.Clone(typ.Funcs), typ.Methods...) {
				check(typ.Name+"."+f.Name, f.Doc)
			}
		}
	}
	t.Logf("%d doc links checked", links)
	assert.Greater(t, links, 0, "the public packages' docs hold doc links")
}

func linkText(l *comment.DocLink) string {
	s := l.Name
	if l.Recv != "" {
		s = l.Recv + "." + s
	}
	if l.ImportPath != "" {
		s = l.ImportPath + "." + s
	}
	return s
}

func walkText(d *comment.Doc, fn func(comment.Text)) {
	var texts func([]comment.Text)
	texts = func(ts []comment.Text) {
		for _, x := range ts {
			fn(x)
			switch x := x.(type) {
			case *comment.Italic:
				fn(comment.Plain(*x))
			case *comment.Link:
				texts(x.Text)
			}
		}
	}
	for _, b := range d.Content {
		switch b := b.(type) {
		case *comment.Paragraph:
			texts(b.Text)
		case *comment.Heading:
			texts(b.Text)
		case *comment.List:
			for _, it := range b.Items {
				for _, c := range it.Content {
					if pp, ok := c.(*comment.Paragraph); ok {
						texts(pp.Text)
					}
				}
			}
		}
	}
}
