package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLearnVerify is `ehlo learn --verify`, as CI runs it: every shipped
// lesson's reference solution, replayed against the lab, meets every goal.
func TestLearnVerify(t *testing.T) {
	code, out, errOut := run(t, "learn", "--verify")
	if code != 0 || !strings.Contains(out, "lessons verified against the lab") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a lesson failed:\n%s", out)
	}
}

func TestLearnListAndLang(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("LANG", "zh_CN.UTF-8")
	t.Setenv("LC_ALL", "")
	code, out, _ := run(t, "learn")
	if code != 0 || !strings.Contains(out, "一问一答") || !strings.Contains(out, "已完成 0/") {
		t.Fatalf("LANG=zh_CN: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "learn", "--lang", "en")
	if code != 0 || !strings.Contains(out, "The conversation") || !strings.Contains(out, "0 of ") {
		t.Fatalf("--lang en: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "learn", "--lang", "fr"); code != exitUsage || !strings.Contains(errOut, "en and zh") {
		t.Errorf("--lang fr: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "learn", "42"); code != exitUsage || !strings.Contains(errOut, "no lesson") {
		t.Errorf("learn 42: exit %d %s", code, errOut)
	}
}

// TestLearnTeacherFile verifies a teacher's own lesson file, and refuses
// one that does not parse, saying where.
func TestLearnTeacherFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.lesson")
	os.WriteFile(good, []byte("lesson: 20 mine\ntitle: Mine\nendpoint: legacy\ngoal auth: reply AUTH 235 clear\n  say: Sign in in clear.\nsolution:\n  expect 220\n  EHLO me\n  expect 250\n  AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\n  expect 235\n"), 0o600)
	if code, out, errOut := run(t, "learn", "--verify", good); code != 0 || !strings.Contains(out, "✓ 20 mine") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.lesson")
	os.WriteFile(bad, []byte("lesson: 20 mine\ntitle: Mine\ngoal auth: reply AUTH 999\n  say: x\n"), 0o600)
	if code, _, errOut := run(t, "learn", "--verify", bad); code == 0 || !strings.Contains(errOut, "bad.lesson:3") {
		t.Errorf("bad file: exit %d %s", code, errOut)
	}
	wrong := filepath.Join(dir, "wrong.lesson")
	os.WriteFile(wrong, []byte("lesson: 21 wrong\ntitle: Wrong\nendpoint: legacy\ngoal auth: reply AUTH 235 tls\n  say: x\nsolution:\n  expect 220\n  EHLO me\n  expect 250\n  AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\n  expect 235\n"), 0o600)
	if code, out, _ := run(t, "learn", "--verify", wrong); code != exitFailed || !strings.Contains(out, "not met: auth") {
		t.Errorf("a solution that misses its goal: exit %d\n%s", code, out)
	}
}
