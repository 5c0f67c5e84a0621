// interop.go — checks custos' log with an implementation custos did not write:
// Debian's golang.org/x/mod/sumdb/note and sumdb/tlog, built offline in GOPATH mode.
//
//	interop checkpoint VKEY CHECKPOINT
//	interop inclusion VKEY CHECKPOINT INDEX LEAF PROOF
//	interop consistency VKEY OLD_CHECKPOINT NEW_CHECKPOINT PROOF
//	interop tiles VKEY DIR
//	interop receipt VKEY RECEIPT LEAF
//	interop note VKEY FILE          (any note signed with the log key: revocation lists, authorisations)
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "interop: "+format+"\n", args...)
	os.Exit(1)
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// openCheckpoint verifies the signed note with the log's key and parses the C2SP checkpoint body.
func openCheckpoint(vkey string, msg []byte) checkpoint {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("checkpoint body: want origin, size, root lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint root %q: %v", lines[2], err)
	}
	return checkpoint{lines[0], size, root}
}

func readFile(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return b
}

func readProof(path string) []tlog.Hash {
	var p []tlog.Hash
	for _, line := range strings.Split(strings.TrimRight(string(readFile(path)), "\n"), "\n") {
		if line == "" {
			continue
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			fail("proof line %q: %v", line, err)
		}
		p = append(p, h)
	}
	return p
}

// c2spTiles reads C2SP tlog-tiles from a directory: the sumdb tile path without its height element.
type c2spTiles struct{ dir string }

func (t c2spTiles) Height() int { return 8 }
func (t c2spTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		p := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		b, err := os.ReadFile(filepath.Join(t.dir, p))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (t c2spTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// entries reads every leaf from the C2SP entry bundles (2-byte big-endian length, then the bytes).
func entries(dir string, size int64) [][]byte {
	var out [][]byte
	for n := int64(0); n*256 < size; n++ {
		w := size - n*256
		tile := tlog.Tile{H: 8, L: -1, N: n, W: 256}
		if w < 256 {
			tile.W = int(w)
		}
		p := strings.Replace(tile.Path(), "tile/8/data/", "tile/entries/", 1)
		b := readFile(filepath.Join(dir, p))
		for len(b) > 0 {
			if len(b) < 2 {
				fail("%s: truncated entry", p)
			}
			l := int(b[0])<<8 | int(b[1])
			if len(b) < 2+l {
				fail("%s: truncated entry", p)
			}
			out = append(out, b[2:2+l])
			b = b[2+l:]
		}
	}
	if int64(len(out)) != size {
		fail("entry bundles hold %d entries, the checkpoint says %d", len(out), size)
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: interop checkpoint|inclusion|consistency|tiles ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "note":
		v, err := note.NewVerifier(args[0])
		if err != nil {
			fail("verifier key: %v", err)
		}
		n, err := note.Open(readFile(args[1]), note.VerifierList(v))
		if err != nil {
			fail("note signature: %v", err)
		}
		fmt.Printf("ok: note %q signed by %s\n", strings.SplitN(n.Text, "\n", 2)[0], n.Sigs[0].Name)
	case "checkpoint":
		c := openCheckpoint(args[0], readFile(args[1]))
		fmt.Printf("ok: checkpoint of %s, size %d, signed by %s\n", c.origin, c.size, strings.Split(args[0], "+")[0])
	case "inclusion":
		c := openCheckpoint(args[0], readFile(args[1]))
		index, _ := strconv.ParseInt(args[2], 10, 64)
		leaf := readFile(args[3])
		if err := tlog.CheckRecord(readProof(args[4]), c.size, c.root, index, tlog.RecordHash(leaf)); err != nil {
			fail("inclusion of %d in %d: %v", index, c.size, err)
		}
		fmt.Printf("ok: entry %d is in the tree of size %d\n", index, c.size)
	case "consistency":
		old := openCheckpoint(args[0], readFile(args[1]))
		cur := openCheckpoint(args[0], readFile(args[2]))
		if err := tlog.CheckTree(readProof(args[3]), cur.size, cur.root, old.size, old.root); err != nil {
			fail("consistency %d -> %d: %v", old.size, cur.size, err)
		}
		fmt.Printf("ok: the tree of size %d extends the tree of size %d\n", cur.size, old.size)
	case "tiles":
		c := openCheckpoint(args[0], readFile(filepath.Join(args[1], "checkpoint")))
		tree := tlog.Tree{N: c.size, Hash: c.root}
		reader := tlog.TileHashReader(tree, c2spTiles{args[1]})
		root, err := tlog.TreeHash(c.size, reader)
		if err != nil || root != c.root {
			fail("tiles do not hash to the checkpoint's root: %v", err)
		}
		for i, e := range entries(args[1], c.size) {
			p, err := tlog.ProveRecord(c.size, int64(i), reader)
			if err != nil {
				fail("proving entry %d from tiles: %v", i, err)
			}
			if err := tlog.CheckRecord(p, c.size, c.root, int64(i), tlog.RecordHash(e)); err != nil {
				fail("entry %d: %v", i, err)
			}
			if !bytes.HasPrefix(e, []byte("custos-event/v1\n")) {
				fail("entry %d is not a custos event record", i)
			}
		}
		fmt.Printf("ok: %d entries and their tiles match the checkpoint of size %d\n", c.size, c.size)
	case "receipt":
		// C2SP tlog-proof: a header line, "index N", optional "extra ...", the proof hashes,
		// a blank line, then the signed checkpoint.
		text := string(readFile(args[1]))
		head, ckpt, ok := strings.Cut(text, "\n\n")
		if !ok {
			fail("receipt: no blank line before the checkpoint")
		}
		lines := strings.Split(head, "\n")
		if len(lines) < 2 || lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "index ") {
			fail("receipt: bad header")
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "index "), 10, 64)
		if err != nil {
			fail("receipt index: %v", err)
		}
		var proof []tlog.Hash
		for _, l := range lines[2:] {
			if strings.HasPrefix(l, "extra ") {
				continue
			}
			h, err := tlog.ParseHash(l)
			if err != nil {
				fail("receipt proof line %q: %v", l, err)
			}
			proof = append(proof, h)
		}
		c := openCheckpoint(args[0], []byte(ckpt))
		if err := tlog.CheckRecord(proof, c.size, c.root, index, tlog.RecordHash(readFile(args[2]))); err != nil {
			fail("receipt for entry %d: %v", index, err)
		}
		fmt.Printf("ok: the receipt proves entry %d in the signed tree of size %d\n", index, c.size)
	default:
		fail("unknown command %q", os.Args[1])
	}
	_ = base64.StdEncoding
}
