package client

import (
	"context"
	"crypto/rand"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/session"
)

// peakHeap runs f and returns the most heap in use above what was in use
// before, sampled every half millisecond from runtime/metrics.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// randomFile writes n random bytes to a file in dir, in 1 MiB pieces.
func randomFile(t testing.TB, dir string, n int64) string {
	t.Helper()
	path := filepath.Join(dir, "blob.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	return path
}

// sendBlob sends a message with one attachment of path to a sink.
func sendBlob(t testing.TB, sink *sinkServer, path string) SendResult {
	t.Helper()
	m := &Message{From: &mail.Address{Address: "a@sink.test"}, To: []*mail.Address{{Address: "b@sink.test"}},
		Subject: "blob", Text: Content{Text: "see attached\n"}, Attachments: []Attachment{{Path: path}}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	cfg := SendConfig{Target: sink.addr, Options: Options{Timeout: time.Minute}, Message: m, Rcpts: []string{"b@sink.test"}}
	res := Send(context.Background(), cfg, nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}

// TestSendMemoryBounded sends a 5 MB attachment and checks that the heap
// does not grow with it (BenchmarkSendAttachment100MB does 100 MB).
func TestSendMemoryBounded(t *testing.T) {
	sink := startSink(t, "SIZE 0", "8BITMIME", "PIPELINING")
	path := randomFile(t, t.TempDir(), 5<<20)
	var res SendResult
	peak := peakHeap(func() { res = sendBlob(t, sink, path) })
	if got := sink.sizes(); len(got) != 1 || got[0] != res.Size {
		t.Fatalf("the server got %v bytes, SIZE said %d", got, res.Size)
	}
	t.Logf("5 MiB attachment: %d bytes sent, peak heap growth %.1f MiB", res.Size, float64(peak)/(1<<20))
	if peak > 4<<20 {
		t.Errorf("peak heap grew %.1f MiB sending 5 MiB: the message is held in memory", float64(peak)/(1<<20))
	}
}

// BenchmarkSendAttachment100MB sends a 100 MiB attachment to a sink and
// reports the peak heap growth and the throughput; run it with
// go test -run '^$' -bench SendAttachment100MB -benchtime 1x ./client/
func BenchmarkSendAttachment100MB(b *testing.B) {
	sink := startSink(b, "SIZE 0", "8BITMIME", "PIPELINING")
	path := randomFile(b, b.TempDir(), 100<<20)
	b.ResetTimer()
	for b.Loop() {
		var res SendResult
		peak := peakHeap(func() { res = sendBlob(b, sink, path) })
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.SetBytes(res.Size)
	}
}

// TestComposeMemoryBounded streams a 5 MiB attachment through the composer
// and session.DataWriter: whatever wire keeps, composing holds nothing of
// the size of the file.
func TestComposeMemoryBounded(t *testing.T) {
	path := randomFile(t, t.TempDir(), 5<<20)
	m := &Message{From: &mail.Address{Address: "a@example.org"}, Text: Content{Text: "x\n"}, Attachments: []Attachment{{Path: path}}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	var n int64
	peak := peakHeap(func() {
		var out counter
		dw := session.NewDataWriter(&out)
		if _, err := m.WriteTo(dw); err != nil {
			t.Fatal(err)
		}
		dw.Close()
		n = out.n - int64(dw.Stuffed()) - 3
	})
	if size, _ := m.Size(); n != size {
		t.Errorf("wrote %d, Size %d", n, size)
	}
	if peak > 1<<20 {
		t.Errorf("composing 5 MiB grew the heap by %.1f MiB", float64(peak)/(1<<20))
	}
}
