package main

import (
	"strings"
	"testing"
)

// events is what go test -json printed for three packages: x/a whose only
// test needs tmux, x/c that does not build, x/b with a failing test.
const events = `{"Action":"start","Package":"x/a"}
{"Action":"run","Package":"x/a","Test":"TestX"}
{"Action":"output","Package":"x/a","Test":"TestX","Output":"=== RUN   TestX\n"}
{"Action":"output","Package":"x/a","Test":"TestX","Output":"    a_test.go:4: needs tmux; apt-get install tmux\n"}
{"Action":"output","Package":"x/a","Test":"TestX","Output":"--- SKIP: TestX (0.00s)\n"}
{"Action":"skip","Package":"x/a","Test":"TestX","Elapsed":0}
{"Action":"output","Package":"x/a","Output":"PASS\n"}
{"Action":"output","Package":"x/a","Output":"SKIPPED-LINE stdout\n"}
{"Action":"output","Package":"x/a","Output":"SKIPPED-LINE stderr\n"}
{"Action":"output","Package":"x/a","Output":"ok  \tx/a\t0.004s\n"}
{"Action":"pass","Package":"x/a","Elapsed":0.007}
{"ImportPath":"x/c [x/c.test]","Action":"build-output","Output":"# x/c [x/c.test]\n"}
{"ImportPath":"x/c [x/c.test]","Action":"build-output","Output":"c/c_test.go:3:27: undefined: undefined\n"}
{"ImportPath":"x/c [x/c.test]","Action":"build-fail"}
{"Action":"start","Package":"x/b"}
{"Action":"start","Package":"x/c"}
{"Action":"output","Package":"x/c","Output":"FAIL\tx/c [build failed]\n"}
{"Action":"fail","Package":"x/c","Elapsed":0,"FailedBuild":"x/c [x/c.test]"}
{"Action":"run","Package":"x/b","Test":"TestY"}
{"Action":"output","Package":"x/b","Test":"TestY","Output":"=== RUN   TestY\n"}
{"Action":"output","Package":"x/b","Test":"TestY","Output":"    b_test.go:3: a log line\n"}
{"Action":"output","Package":"x/b","Test":"TestY","Output":"    b_test.go:3: boom\n"}
{"Action":"output","Package":"x/b","Test":"TestY","Output":"--- FAIL: TestY (0.00s)\n"}
{"Action":"fail","Package":"x/b","Test":"TestY","Elapsed":0}
{"Action":"run","Package":"x/b","Test":"TestZ"}
{"Action":"output","Package":"x/b","Test":"TestZ","Output":"=== RUN   TestZ\n"}
{"Action":"output","Package":"x/b","Test":"TestZ","Output":"--- PASS: TestZ (0.00s)\n"}
{"Action":"pass","Package":"x/b","Test":"TestZ","Elapsed":0}
{"Action":"output","Package":"x/b","Output":"FAIL\n"}
{"Action":"output","Package":"x/b","Output":"FAIL\tx/b\t0.013s\n"}
{"Action":"fail","Package":"x/b","Elapsed":0.014}
{"Action":"output","Package":"x/d","Test":"TestV","Output":"    d_test.go:9: cannot make a device node here\n"}
{"Action":"output","Package":"x/d","Test":"TestV","Output":"--- SKIP: TestV (0.00s)\n"}
{"Action":"skip","Package":"x/d","Test":"TestV"}
{"Action":"output","Package":"x/d","Output":"ok  \tx/d\t0.001s\n"}
{"Action":"pass","Package":"x/d"}`

// TestReport: a passing package is its ok line, a failing one its failed
// tests' output and its FAIL lines, a build failure the compiler's words;
// at the end, what was skipped and why, then the counts.
func TestReport(t *testing.T) {
	var out strings.Builder
	r := newReport(&out, false)
	if err := r.read(strings.NewReader(events)); err != nil {
		t.Fatal(err)
	}
	r.summary()
	want := "ok  \tx/a\t0.004s\n" +
		"# x/c [x/c.test]\nc/c_test.go:3:27: undefined: undefined\nFAIL\tx/c [build failed]\n" +
		"    b_test.go:3: a log line\n    b_test.go:3: boom\n--- FAIL: TestY (0.00s)\nFAIL\nFAIL\tx/b\t0.013s\n" +
		"ok  \tx/d\t0.001s\n" +
		"\nskipped 1 test (x/a.TestX), which need tmux; to run them: apt-get install tmux\n" +
		"skipped x/d.TestV: d_test.go:9: cannot make a device node here\n" +
		"1 passed, 1 failed, 2 skipped\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
