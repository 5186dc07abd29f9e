package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/postfach/postfach/backup/index"
)

func main() {
	for i := 0; i < 3; i++ {
		t := time.Now()
		ix, err := index.Open(os.Args[1])
		if err != nil {
			panic(err)
		}
		fmt.Printf("index.Open %d entries: %v\n", len(ix.Entries()), time.Since(t))
		ix.Close()
	}
	t := time.Now()
	p, _ := x509.SystemCertPool()
	fmt.Printf("SystemCertPool: %v (%d)\n", time.Since(t), len(p.Subjects()))
}
