package governance

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// messageFormat is a user-facing English format found in the source.
type messageFormat struct {
	format string
	pos    string
}

// collectMessageFormats parses the non-test Go files in dir and returns every
// user-facing format: the format of Errorf, the message of Wrap (its verbs
// escaped, as Wrap stores it), the format of problems.add, and the formats
// passed to functions that forward their format parameter to one of those
// (with any literal prefix they add): local closures, and the package's
// own functions such as store's notFound. In another package (qualifier
// "governance") only governance.Errorf and governance.Wrap count. A format
// that is not a constant string is reported in bad: it could not be
// translated.
func collectMessageFormats(t *testing.T, dir, qualifier string) (formats []messageFormat, bad []string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var funcs []*ast.FuncDecl
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				funcs = append(funcs, fn)
			}
		}
	}
	// The package's forwarding functions, known before any call is visited.
	pkgForwarders := map[string]forwarder{}
	for _, fn := range funcs {
		if fn.Recv != nil {
			continue
		}
		if fw, ok := formatForwarder(fn.Type, fn.Body, qualifier); ok {
			pkgForwarders[fn.Name.Name] = fw
		}
	}
	for _, fn := range funcs {
		c := formatCollector{fset: fset, qualifier: qualifier, forwarders: maps.Clone(pkgForwarders)}
		if fw, ok := pkgForwarders[fn.Name.Name]; ok && fn.Recv == nil {
			c.inside = append(c.inside, fw) // its format parameter is no literal to collect
		}
		c.findForwarders(fn.Body)
		ast.Inspect(fn.Body, c.visit)
		formats = append(formats, c.formats...)
		bad = append(bad, c.bad...)
	}
	return formats, bad
}

// formatForwarder reports whether a function of type typ and body body has
// a string parameter named format that body passes on as a message format.
func formatForwarder(typ *ast.FuncType, body *ast.BlockStmt, qualifier string) (forwarder, bool) {
	i := 0
	for _, field := range typ.Params.List {
		id, _ := field.Type.(*ast.Ident)
		for _, pn := range field.Names {
			if id != nil && id.Name == "string" && pn.Name == "format" {
				if prefix, ok := forwardedPrefix(body, pn.Name, qualifier); ok {
					return forwarder{index: i, param: pn.Name, prefix: prefix}, true
				}
			}
			i++
		}
	}
	return forwarder{}, false
}

// forwarder is a local closure such as bad := func(format string, args
// ...any) error { return Errorf(KindInvalid, "x", prefix+format, args...) }.
type forwarder struct {
	index  int    // of the format parameter
	param  string // its name
	prefix string // literal text put before it
}

type formatCollector struct {
	fset       *token.FileSet
	qualifier  string // "" in package governance, else its import name
	forwarders map[string]forwarder
	inside     []forwarder // the forwarders whose body is being visited
	formats    []messageFormat
	bad        []string
}

func (c *formatCollector) findForwarders(body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		name, ok1 := as.Lhs[0].(*ast.Ident)
		lit, ok2 := as.Rhs[0].(*ast.FuncLit)
		if !ok1 || !ok2 {
			return true
		}
		if fw, ok := formatForwarder(lit.Type, lit.Body, c.qualifier); ok {
			c.forwarders[name.Name] = fw
		}
		return true
	})
}

// forwardedPrefix reports whether body passes param as a message format, and
// the literal prefix it adds.
func forwardedPrefix(body *ast.BlockStmt, param, qualifier string) (prefix string, ok bool) {
	ast.Inspect(body, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !isCall {
			return true
		}
		if i := messageArgIndex(call, qualifier); i >= 0 && i < len(call.Args) {
			if p, isParam := paramWithPrefix(call.Args[i], param); isParam {
				prefix, ok = p, true
			}
		}
		return true
	})
	return prefix, ok
}

// paramWithPrefix matches param or "literal" + param.
func paramWithPrefix(e ast.Expr, param string) (string, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		return "", e.Name == param
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		if id, ok := e.Y.(*ast.Ident); ok && id.Name == param {
			if s, ok := constString(e.X); ok {
				return s, true
			}
		}
	}
	return "", false
}

// messageArgIndex is the index of the format or message argument of a call
// to Errorf, Wrap or .add (qualifier.Errorf and qualifier.Wrap outside
// package governance), or -1.
func messageArgIndex(call *ast.CallExpr, qualifier string) int {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		if qualifier == "" && (fn.Name == "Errorf" || fn.Name == "Wrap") {
			return 2
		}
	case *ast.SelectorExpr:
		if qualifier == "" && fn.Sel.Name == "add" {
			return 0
		}
		if x, ok := fn.X.(*ast.Ident); ok && qualifier != "" && x.Name == qualifier && (fn.Sel.Name == "Errorf" || fn.Sel.Name == "Wrap") {
			return 2
		}
	}
	return -1
}

// isWrap reports whether call is Wrap or qualifier.Wrap.
func isWrap(call *ast.CallExpr) bool {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name == "Wrap"
	case *ast.SelectorExpr:
		return fn.Sel.Name == "Wrap"
	}
	return false
}

func (c *formatCollector) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.AssignStmt:
		// Visit a forwarder's body knowing its format parameter is not a
		// literal to collect.
		if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
			if name, ok := n.Lhs[0].(*ast.Ident); ok {
				if fw, ok := c.forwarders[name.Name]; ok {
					if lit, ok := n.Rhs[0].(*ast.FuncLit); ok {
						c.inside = append(c.inside, fw)
						ast.Inspect(lit.Body, c.visit)
						c.inside = c.inside[:len(c.inside)-1]
						return false
					}
				}
			}
		}
	case *ast.CallExpr:
		index, prefix := messageArgIndex(n, c.qualifier), ""
		escape := index >= 0 && isWrap(n)
		if id, ok := n.Fun.(*ast.Ident); ok && index < 0 {
			if fw, ok := c.forwarders[id.Name]; ok {
				index, prefix = fw.index, fw.prefix
			}
		}
		if index < 0 || index >= len(n.Args) {
			return true
		}
		arg := n.Args[index]
		for _, fw := range c.inside {
			if _, ok := paramWithPrefix(arg, fw.param); ok {
				return true
			}
		}
		pos := c.fset.Position(arg.Pos())
		where := filepath.Join(filepath.Base(filepath.Dir(pos.Filename)), filepath.Base(pos.Filename)) + ":" + strconv.Itoa(pos.Line)
		s, ok := constString(arg)
		if !ok {
			c.bad = append(c.bad, where)
			return true
		}
		if escape {
			s = strings.ReplaceAll(s, "%", "%%")
		}
		c.formats = append(c.formats, messageFormat{prefix + s, where})
	}
	return true
}

// constString evaluates a string literal or a concatenation of them.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, ok1 := constString(e.X)
		y, ok2 := constString(e.Y)
		return x + y, ok1 && ok2
	case *ast.ParenExpr:
		return constString(e.X)
	case *ast.Ident:
		if e.Name == "internalMessage" {
			return internalMessage, true
		}
	}
	return "", false
}

// translatable reports whether a format has words to translate: "%s" alone
// does not.
func translatable(format string) bool {
	rest := format
	for _, v := range formatVerbs(format) {
		rest = strings.Replace(rest, v.text, "", 1)
	}
	return strings.IndexFunc(rest, unicode.IsLetter) >= 0
}

// formatVerb is one verb of a format: the argument it renders (1-based) and
// its text.
type formatVerb struct {
	arg  int
	verb rune
	text string
}

// formatVerbs lists the verbs of a format with the argument each consumes,
// following fmt's rules for explicit indexes ([n]) and * width or precision.
func formatVerbs(format string) []formatVerb {
	var out []formatVerb
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		start := i
		i++
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		index := func() {
			if i < len(format) && format[i] == '[' {
				end := strings.IndexByte(format[i:], ']')
				if end > 0 {
					if n, err := strconv.Atoi(format[i+1 : i+end]); err == nil {
						arg = n
					}
					i += end + 1
				}
			}
		}
		number := func() {
			index()
			if i < len(format) && format[i] == '*' {
				out = append(out, formatVerb{arg, '*', "*"})
				arg++
				i++
				return
			}
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
		}
		number()
		if i < len(format) && format[i] == '.' {
			i++
			number()
		}
		index()
		if i >= len(format) {
			break
		}
		if format[i] == '%' {
			continue
		}
		out = append(out, formatVerb{arg, rune(format[i]), format[start : i+1]})
		arg++
	}
	return out
}

// verbSignature is the sorted multiset of (argument, verb) of a format.
func verbSignature(format string) []string {
	var sig []string
	for _, v := range formatVerbs(format) {
		sig = append(sig, strconv.Itoa(v.arg)+string(v.verb))
	}
	slices.Sort(sig)
	return sig
}

// translatedPackages are the packages besides governance whose
// governance.Errorf and Wrap messages reach users through Localize, so they
// share the catalogue: the HTTP surface, and the adapters whose errors it
// passes on (the store's not-found and conflicts, identity's refusals, the
// webhook service's, Microsoft Graph's failures as graph.Classify words
// them, and the built-in CRM's search and import refusals). cmd/steward
// builds none today; listed so one it adds is caught.
var translatedPackages = []string{"web", "store", "identity", "webhook", "graph", "crm", "cmd/steward"}

func TestEveryMessageHasAFrenchTranslation(t *testing.T) {
	formats, bad := collectMessageFormats(t, ".", "")
	for _, dir := range translatedPackages {
		more, moreBad := collectMessageFormats(t, filepath.Join("..", filepath.FromSlash(dir)), "governance")
		if len(more) == 0 && dir != "cmd/steward" {
			t.Errorf("found no message format in %s: the collector is broken", dir)
		}
		formats, bad = append(formats, more...), append(bad, moreBad...)
	}
	for _, where := range bad {
		t.Errorf("%s: the message format is not a constant string, so it cannot be translated", where)
	}
	if len(formats) < 100 {
		t.Fatalf("found only %d message formats: the collector is broken", len(formats))
	}
	used := map[string]bool{internalMessage: true}
	var missing []string
	for _, f := range formats {
		if !translatable(f.format) {
			continue
		}
		if used[f.format] {
			continue
		}
		used[f.format] = true
		if _, ok := frenchFormats[f.format]; !ok {
			missing = append(missing, f.pos+": "+strconv.Quote(f.format))
		}
	}
	for _, m := range missing {
		t.Errorf("no French for %s", m)
	}
	for english := range frenchFormats {
		if !used[english] {
			t.Errorf("stale French entry: no message has the format %q", english)
		}
	}
}
