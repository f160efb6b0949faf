package main

// The command-serialising front: every client connection is served through one upstream
// connection to FerretDB, one command (request and all its replies) at a time, in arrival order.
//
// Wire protocol handled (MongoDB wire protocol, as relayed byte for byte otherwise):
//   - every message starts with a 16-byte header: messageLength, requestID, responseTo, opCode
//     (little-endian int32);
//   - requestIDs of different clients may collide, so each request gets a fresh upstream
//     requestID, and a reply's responseTo that names it is rewritten back to the client's own;
//   - OP_MSG flagBits: checksumPresent (bit 0: a CRC-32C trailer, recomputed after a rewrite),
//     moreToCome (bit 1) and exhaustAllowed (bit 16). A reply with moreToCome is followed by more
//     replies to the same request without a new request (exhaust): all of them are relayed
//     before the next command goes upstream. A request with moreToCome expects no reply;
//     FerretDB 1.24 replies anyway, so that reply is read and dropped;
//   - cursors live in FerretDB and belong to the single upstream connection, so getMore and
//     killCursors from any client connection find them.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

const (
	opMsg   = 2013

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1

	headerLen = 16
	// MongoDB's maxMessageSizeBytes is 48,000,000; allow a little more for the header.
	maxMessageLen = 48_000_000 + 1024

	// How long to keep trying to reach FerretDB's socket (it starts beside the front).
	dialPatience = 30 * time.Second
	// A request flagged moreToCome wants no reply; do not wait forever if none comes.
	noReplyWait = 10 * time.Second
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type request struct {
	msg   []byte
	reply chan result
}

type result struct {
	replies [][]byte
	err     error
}

type front struct {
	dial     func() (net.Conn, error)
	log      *slog.Logger
	requests chan request

	mu       sync.Mutex // guards upstream for closeUpstream
	upstream net.Conn
	upReader *bufio.Reader
	nextID   int32
}

func newFront(dial func() (net.Conn, error), log *slog.Logger) *front {
	f := &front{dial: dial, log: log, requests: make(chan request, 1024)}
	go f.relay()
	return f
}

// serve accepts client connections until ctx ends or the listener is closed.
func (f *front) serve(ctx context.Context, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			f.log.Warn("front: accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go f.client(c)
	}
}

// client reads this connection's requests, queues each for the relay and writes its replies back.
func (f *front) client(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64*1024)
	w := bufio.NewWriterSize(c, 64*1024)
	for {
		msg, err := readMessage(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				f.log.Debug("front: client read", "err", err)
			}
			return
		}
		done := make(chan result, 1)
		f.requests <- request{msg: msg, reply: done}
		res := <-done
		if res.err != nil {
			// The client's driver sees a network error and retries or reports it.
			f.log.Warn("front: upstream", "err", res.err)
			return
		}
		for _, rep := range res.replies {
			if _, err := w.Write(rep); err != nil {
				return
			}
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

// relay is the only goroutine that talks to FerretDB: one request at a time, in arrival order.
func (f *front) relay() {
	for req := range f.requests {
		replies, err := f.roundTrip(req.msg)
		if err != nil {
			f.closeUpstream()
		}
		req.reply <- result{replies: replies, err: err}
	}
}

func (f *front) connect() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.upstream != nil {
		return nil
	}
	deadline := time.Now().Add(dialPatience)
	for {
		c, err := f.dial()
		if err == nil {
			f.upstream = c
			f.upReader = bufio.NewReaderSize(c, 64*1024)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cannot reach FerretDB: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *front) closeUpstream() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.upstream != nil {
		_ = f.upstream.Close()
		f.upstream = nil
		f.upReader = nil
	}
}

func (f *front) roundTrip(msg []byte) ([][]byte, error) {
	if err := f.connect(); err != nil {
		return nil, err
	}
	up, r := f.upstream, f.upReader

	clientID := getInt32(msg, 4)
	f.nextID++
	if f.nextID <= 0 {
		f.nextID = 1
	}
	upID := f.nextID
	putInt32(msg, 4, upID)
	hideClientMetadata(msg)
	fixChecksum(msg)

	_ = up.SetDeadline(time.Time{})
	if _, err := up.Write(msg); err != nil {
		return nil, err
	}

	wantsReply := !(getInt32(msg, 12) == opMsg && msgFlags(msg)&flagMoreToCome != 0)
	if !wantsReply {
		_ = up.SetReadDeadline(time.Now().Add(noReplyWait))
	}

	var replies [][]byte
	for {
		rep, err := readMessage(r)
		if err != nil {
			var ne net.Error
			if !wantsReply && errors.As(err, &ne) && ne.Timeout() {
				// No reply came to a no-reply request; the connection is in an unknown state
				// mid-read, so start afresh next time.
				f.closeUpstream()
				return nil, nil
			}
			return nil, err
		}
		if getInt32(rep, 8) == upID {
			putInt32(rep, 8, clientID)
			fixChecksum(rep)
		}
		if wantsReply {
			replies = append(replies, rep)
		}
		// Exhaust: a reply with moreToCome is followed by another one to the same request.
		if !(getInt32(rep, 12) == opMsg && msgFlags(rep)&flagMoreToCome != 0) {
			return replies, nil
		}
	}
}

func readMessage(r *bufio.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.LittleEndian.Uint32(hdr[:])))
	if n < headerLen || n > maxMessageLen {
		return nil, fmt.Errorf("bad message length %d", n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}

func getInt32(b []byte, at int) int32 { return int32(binary.LittleEndian.Uint32(b[at : at+4])) }

func putInt32(b []byte, at int, v int32) { binary.LittleEndian.PutUint32(b[at:at+4], uint32(v)) }

// msgFlags returns an OP_MSG's flagBits (0 when the message is too short to have them).
func msgFlags(msg []byte) uint32 {
	if len(msg) < headerLen+4 {
		return 0
	}
	return binary.LittleEndian.Uint32(msg[headerLen : headerLen+4])
}

// fixChecksum recomputes an OP_MSG's CRC-32C trailer after its header was rewritten.
func fixChecksum(msg []byte) {
	if getInt32(msg, 12) != opMsg || msgFlags(msg)&flagChecksumPresent == 0 || len(msg) < headerLen+8 {
		return
	}
	sum := crc32.Checksum(msg[:len(msg)-4], castagnoli)
	binary.LittleEndian.PutUint32(msg[len(msg)-4:], sum)
}

// FerretDB keeps one thing per connection that clients set: the client metadata of the first
// hello ("may only be sent in the first hello", error 186, on any later one). All clients share
// the upstream connection, so the metadata field of a hello is renamed in place (same length,
// so no sizes change) to a field FerretDB ignores.
var helloNames = map[string]bool{"hello": true, "ismaster": true, "isMaster": true}

const opQuery = 2004

func hideClientMetadata(msg []byte) {
	var doc bsoncore.Document
	switch getInt32(msg, 12) {
	case opQuery:
		// flags, fullCollectionName (cstring), numberToSkip, numberToReturn, query
		at := headerLen + 4
		end := bytes.IndexByte(msg[at:], 0)
		if end < 0 {
			return
		}
		at += end + 1 + 8
		if at >= len(msg) {
			return
		}
		d, _, ok := bsoncore.ReadDocument(msg[at:])
		if !ok {
			return
		}
		doc = d
	case opMsg:
		at := headerLen + 4
		if at < len(msg) && msg[at] == 0 { // kind 0: the command body
			d, _, ok := bsoncore.ReadDocument(msg[at+1:])
			if !ok {
				return
			}
			doc = d
		}
	}
	if doc == nil {
		return
	}
	elems, err := doc.Elements()
	if err != nil || len(elems) == 0 || !helloNames[elems[0].Key()] {
		return
	}
	for _, e := range elems {
		if e.Key() == "client" {
			e[1] = '_' // the key starts right after the type byte: "client" -> "_lient"
		}
	}
}
