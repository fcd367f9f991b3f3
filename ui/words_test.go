package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// wordsUsed are the English texts the explorer's code hands to its
// catalogue: the literal argument of every words.T and words.F call, every
// key description (key.WithHelp, SetHelp) and every command's help, in
// ui's own files.
func wordsUsed(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	fset := token.NewFileSet()
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || len(n.Args) == 0 {
					return true
				}
				arg := n.Args[0]
				switch sel.Sel.Name {
				case "T", "F":
				case "WithHelp", "SetHelp":
					arg = n.Args[len(n.Args)-1]
				default:
					return true
				}
				if s, ok := lit(arg); ok {
					used[s] = fset.Position(n.Pos()).String()
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "help" {
					if s, ok := lit(n.Value); ok {
						used[s] = fset.Position(n.Pos()).String()
					}
				}
			}
			return true
		})
	}
	return used
}

// TestWordsEveryKeyBothLanguages: every English text the code shows
// through the catalogue has its Chinese, and every entry of the catalogue
// has both: a Chinese text with the same fmt verbs as its English key.
func TestWordsEveryKeyBothLanguages(t *testing.T) {
	for en, where := range wordsUsed(t) {
		if strings.TrimSpace(en) == "" {
			continue
		}
		if _, ok := zhWords()[en]; !ok {
			t.Errorf("%s: %q has no Chinese in zhWords", where, en)
		}
	}
	verbs := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)
	plain := func(s string) []string {
		var out []string
		for _, v := range verbs.FindAllString(s, -1) {
			out = append(out, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(v, ""))
		}
		slices.Sort(out)
		return out
	}
	for en, zh := range zhWords() {
		if strings.TrimSpace(en) == "" || strings.TrimSpace(zh) == "" {
			t.Errorf("catalogue entry %q → %q: a language is empty", en, zh)
		}
		if !slices.Equal(plain(en), plain(zh)) {
			t.Errorf("catalogue entry %q → %q: verbs %v against %v", en, zh, plain(en), plain(zh))
		}
	}
}

// TestWordsFallBack: English is the key, and a text missing from the
// catalogue shows in English.
func TestWordsFallBack(t *testing.T) {
	if got := wordsFor("en").T("connected"); got != "connected" {
		t.Errorf("en: %q", got)
	}
	if got := wordsFor("zh").T("connected"); got == "connected" || got == "" {
		t.Errorf("zh: %q", got)
	}
	if got := wordsFor("zh").T("a text nobody translated"); got != "a text nobody translated" {
		t.Errorf("zh fallback: %q", got)
	}
	if got := wordsFor("fr").F("%d pending", 2); got != "2 pending" {
		t.Errorf("fr: %q", got)
	}
}
