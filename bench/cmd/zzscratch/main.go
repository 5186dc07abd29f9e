package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/secrets"
)

func main() {
	t0 := time.Now()
	lap := func(s string) { fmt.Printf("%7.1f ms %s\n", float64(time.Since(t0).Microseconds())/1000, s) }
	port, _ := strconv.Atoi(os.Args[1])
	sec := accounts.Security(os.Args[2])
	if len(os.Args) > 3 {
		secrets.Get(context.Background(), "nonexistent-id")
		lap("keyring get")
		x509.SystemCertPool()
		lap("system roots")
	}
	a := accounts.Account{Name: "x", Protocol: accounts.POP3, Host: "127.0.0.1", Port: port, Security: sec, Username: "bench", AllowPlaintext: true}
	c, err := connect.POP3(context.Background(), a, "bench-pw", nil)
	if err != nil {
		panic(err)
	}
	lap("connected+auth")
	u, _ := c.UIDL(context.Background())
	lap(fmt.Sprint("uidl ", len(u)))
	l, _ := c.List(context.Background())
	lap(fmt.Sprint("list ", len(l)))
	c.Quit(context.Background())
	lap("quit")
}
