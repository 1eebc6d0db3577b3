package corpus

import (
	"bufio"
	"errors"
	"io"
)

// lineReader splits a stream into lines with a bound on the memory one line
// may take. A line longer than max bytes is consumed and reported by its
// length, but its content is dropped, so memory stays bounded whatever the
// input.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	no  int // number of the line last returned, 1-based
	eof bool
}

func newLineReader(br *bufio.Reader, max int) *lineReader {
	return &lineReader{br: br, max: max}
}

// next returns the next line without its "\n" or "\r\n" ending. The slice
// is valid until the following call. When the line is longer than max
// bytes, line is nil, long is true and size is the line's length. At the
// end of the input it returns io.EOF; other errors come from the
// underlying reader.
func (l *lineReader) next() (line []byte, size int, long bool, err error) {
	if l.eof {
		return nil, 0, false, io.EOF
	}
	l.buf = l.buf[:0]
	read := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if len(chunk) > 0 {
			read = true
		}
		size += len(chunk)
		if !long {
			if len(l.buf)+len(chunk) > l.max+2 { // +2: room for "\r\n"
				long = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			// A whole line ending in '\n'.
			if long {
				size-- // the '\n' is not part of the line
			}
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			l.eof = true
			if !read {
				return nil, 0, false, io.EOF
			}
		default:
			return nil, 0, false, err
		}
		break
	}
	l.no++
	if !long {
		line = trimEOL(l.buf)
		if l.no == 1 {
			line = trimBOM(line)
		}
		size = len(line)
		if size > l.max {
			return nil, size, true, nil
		}
		return line, size, false, nil
	}
	return nil, size, true, nil
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
