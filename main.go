// Command syncops keeps a Shopify store in step with Nhanh.vn: see README.md
// and `syncops --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"syncops/ui/cli"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		cancel() // first signal: stop taking work, let jobs checkpoint, exit
		<-signals
		fmt.Fprintln(os.Stderr, "syncops: second signal, exiting now")
		os.Exit(1)
	}()
	code := cli.Main(ctx, os.Args[1:], cli.Options{})
	cancel()
	os.Exit(code)
}
