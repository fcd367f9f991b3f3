package session

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// required are the finding IDs issue 4 names; they are a public contract.
// Issue 17 (item 3) merged size-limit, pipelining, 8bitmime, smtputf8,
// enhancedstatuscodes and chunking, one info line per extension, into
// extensions.
var required = []string{
	"auth-after-starttls", "auth-missing", "auth-plaintext", "port-expects-implicit-tls", "port-expects-plaintext",
	"tls-unknown-authority", "tls-name-mismatch", "tls-expired", "tls-not-yet-valid", "starttls-injection",
	"starttls-refused", "no-starttls", "auth-ok", "auth-bad-credentials", "auth-app-password", "auth-temporary",
	"relay-denied", "unknown-user", "greylisted", "mail-accepted", "rcpt-accepted", "slow-greeting", "tarpit",
	"extensions", "tls-ok",
}

var ruleID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || !ruleID.MatchString(r.ID) {
			t.Errorf("duplicate or malformed ID %q", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.RFC == "" || r.Severity < SeverityError || r.Severity > SeverityInfo {
			t.Errorf("%s: incomplete rule %+v", r.ID, r)
		}
		if r.Severity != SeverityInfo && (r.Fix == "" || r.Why == "") {
			t.Errorf("%s: a %v needs Why and Fix", r.ID, r.Severity)
		}
	}
	for _, id := range required {
		if !seen[id] {
			t.Errorf("required finding %s is missing", id)
		}
	}
	if _, ok := LookupRule("no-such-rule"); ok {
		t.Error("LookupRule found a rule that does not exist")
	}
	if Severity(7).String() != "Severity(7)" || SeverityWarning.String() != "warning" {
		t.Error("Severity.String")
	}
}

// TestRuleIDsDocumented keeps the list in Rules' doc comment equal to the
// table.
func TestRuleIDsDocumented(t *testing.T) {
	b, err := os.ReadFile("rules.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	doc := src[strings.Index(src, "// Rules returns"):strings.Index(src, "func Rules()")]
	var listed []string
	for _, line := range strings.Split(doc, "\n") {
		if item, ok := strings.CutPrefix(line, "//\t"); ok {
			for _, id := range strings.Split(strings.TrimSuffix(item, "."), ",") {
				if id = strings.TrimSpace(id); id != "" {
					listed = append(listed, id)
				}
			}
		}
	}
	var table []string
	for _, r := range Rules() {
		table = append(table, r.ID)
	}
	if !slices.Equal(listed, table) {
		t.Errorf("Rules' doc lists\n%q\nthe table has\n%q", listed, table)
	}
}

// TestRuleIDsExist finds every string literal this package passes as a
// rule ID (newFinding, mustRule, the rule functions of explain.go, the
// tables) and looks it up.
func TestRuleIDsExist(t *testing.T) {
	for _, k := range knownChecks {
		if _, ok := LookupRule(k.rule); !ok {
			t.Errorf("check %s: no rule %q", k.code, k.rule)
		}
	}
	for id := range recipientTitles {
		mustRule(id)
	}
	fset := token.NewFileSet()
	for _, file := range []string{"diagnose.go", "explain.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "newFinding" || id.Name == "mustRule") {
					checkLiteral(t, fset, n.Args[0])
				}
			case *ast.FuncDecl:
				if strings.HasSuffix(n.Name.Name, "Rule") && file == "explain.go" {
					ast.Inspect(n.Body, func(m ast.Node) bool {
						if r, ok := m.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
							checkLiteral(t, fset, r.Results[0])
						}
						return true
					})
				}
			}
			return true
		})
	}
}

func checkLiteral(t *testing.T, fset *token.FileSet, e ast.Expr) {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return
	}
	id, _ := strconv.Unquote(lit.Value)
	if _, ok := LookupRule(id); id != "" && !ok {
		t.Errorf("%s: no rule %q", fset.Position(lit.Pos()), id)
	}
}

// TestWarningRule: the TUI's pre-send warnings and doctor's findings share
// their rules and, where fixed, their words.
func TestWarningRule(t *testing.T) {
	gmail := ready(t, fixtureText(t, "gmail-ehlo-plain"))
	ws := gmail.Check("AUTH PLAIN")
	if len(ws) != 1 {
		t.Fatalf("Check = %+v", ws)
	}
	r, ok := ws[0].Rule()
	if !ok || r.ID != "auth-after-starttls" || !strings.Contains(r.Fix, "s.starttls(") {
		t.Errorf("Rule() = %+v, %v", r, ok)
	}
	clear := ready(t, "250-mx.example\n250 AUTH PLAIN CRAM-MD5")
	for _, line := range []string{"AUTH PLAIN", "AUTH CRAM-MD5"} {
		ws := clear.Check(line)
		if len(ws) != 1 {
			t.Fatalf("Check(%q) = %+v", line, ws)
		}
		if r, ok := ws[0].Rule(); !ok || r.ID != "auth-plaintext" {
			t.Errorf("%s: Rule() = %q, %v", ws[0].Code, r.ID, ok)
		}
	}
	if _, ok := (Warning{Code: "pipelining"}).Rule(); ok {
		t.Error("pipelining warning has a rule")
	}
	// Every check code is one State.Check documents.
	b, _ := os.ReadFile("state.go")
	for _, c := range knownChecks {
		if !strings.Contains(string(b), strconv.Quote(c.code)) {
			t.Errorf("check code %q is not State.Check's", c.code)
		}
	}
}

// TestReadmeListsEveryFinding: the README's doctor section names every
// finding ID, so that its list stays current.
func TestReadmeListsEveryFinding(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "### `ehlo doctor")
	section, _, _ = strings.Cut(section, "\n### ")
	for _, r := range Rules() {
		if !strings.Contains(section, "`"+r.ID+"`") {
			t.Errorf("the README's doctor section does not list %s", r.ID)
		}
	}
}
