// Command ferretdb runs FerretDB 1.x (PostgreSQL backend) through its embeddable package, behind
// a command-serialising front.
//
// Why a wrapper instead of `go install .../cmd/ferretdb@v1.24.2`: the module proxy refuses the
// version list that `go install` asks for, and the released cmd/ferretdb panics when built outside
// FerretDB's own repository (it expects a generated build/version/version.txt). The embeddable
// package has neither problem.
//
// Why the front (front.go): FerretDB 1.x does not apply concurrent updates of one document
// atomically when they arrive on different connections (lost $inc, two compare-and-set winners).
// On one connection, one command at a time, everything is correct. So clients (any number, from
// any number of processes) connect to the front, which relays every command over ONE upstream
// connection to FerretDB, one at a time: each command is atomic, as a single-document operation
// is on MongoDB.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address the front listens on (clients connect here)")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL connection string of FerretDB's backend database")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bad --log-level:", err)
		os.Exit(2)
	}
	if *pgURL == "" {
		fmt.Fprintln(os.Stderr, "--postgresql-url is required")
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// FerretDB itself listens on a private Unix socket; only the front talks to it.
	sockDir, err := os.MkdirTemp("", "ferretdb-front-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "ferretdb.sock")

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{Unix: sock},
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
		Logger:        logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: front:", err)
		os.Exit(1)
	}

	ferretDone := make(chan error, 1)
	go func() { ferretDone <- f.Run(ctx) }()

	front := newFront(func() (net.Conn, error) { return net.Dial("unix", sock) }, logger)
	go front.serve(ctx, ln)

	// The parent process waits for this line to know the port is open.
	fmt.Println("ferretdb listening on", ln.Addr().String())

	select {
	case <-ctx.Done():
	case err := <-ferretDone:
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "ferretdb:", err)
			os.Exit(1)
		}
	}
	_ = ln.Close()
	front.closeUpstream()
}
