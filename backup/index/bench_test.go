package index

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// BenchmarkParse10k measures what every incremental run pays: parsing a 10,000-entry index.
func BenchmarkParse10k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(header + "\n")
	for i := 0; i < 10000; i++ {
		e := Entry{UIDL: fmt.Sprintf("%08x%08x", i, 1795447452), File: fmt.Sprintf("1700000000.U%x_0.postfach", i), Size: int64(1000 + i)}
		e.SHA256[0] = byte(i)
		writeRecord(&buf, Record{Op: 'S', Entry: e, At: time.Unix(1700000000, 0)})
	}
	data := buf.Bytes()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
