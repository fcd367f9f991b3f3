package wire

import "testing"

// BenchmarkReadReplyOneLine frames a one-line reply, the common case after
// EHLO, transcript recording included; with BenchmarkReadReply (10 lines) it
// gives the cost per reply and per line (bench/run.sh reports both).
func BenchmarkReadReplyOneLine(b *testing.B) {
	const reply = "250 2.1.0 Ok\r\n"
	b.ReportAllocs()
	b.SetBytes(int64(len(reply)))
	var c *Conn
	for i := range b.N {
		if i%1024 == 0 {
			b.StopTimer()
			c = NewConn(&scriptConn{r: &loopReader{data: []byte(reply)}}, Options{})
			b.StartTimer()
		}
		if _, err := c.ReadReply(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
