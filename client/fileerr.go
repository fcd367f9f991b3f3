package client

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// FileError is a file named on the command line (--cert, --key, --ca,
// --data @FILE, --from-file, --resume, --certs-out, --transcript, --log,
// ...) that ehlo could not use, said one way whatever the flag: the flag,
// the file, and why, in a person's words:
//
//	--ca /etc/missing.pem: no such file
//	--certs-out chain.pem: is a symbolic link: ehlo does not write through one (name the file itself)
type FileError struct {
	Flag string // as the user wrote it: "--ca", "--data @FILE" is "--data"
	Path string
	Err  error // what went wrong: an *fs.PathError, ErrSymlink, or a sentence about the content
}

func (e *FileError) Error() string { return e.Flag + " " + e.Path + ": " + FileWhy(e.Err) }

func (e *FileError) Unwrap() error { return e.Err }

// FileErr is err, from using path, as a FileError for flag; nil stays
// nil, and a FileError already made is kept as it is.
func FileErr(flag, path string, err error) error {
	var fe *FileError
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return &FileError{Flag: flag, Path: path, Err: err}
}

// ErrIsDir is a directory given where a file was asked for.
var ErrIsDir = errors.New("is a directory, not a file")

// FileWhy says why a file could not be used, without its path (the
// FileError says it once).
func FileWhy(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, ErrSymlink), errors.Is(err, ErrNotOwned), errors.Is(err, ErrNoReader), errors.Is(err, ErrIsDir):
		for _, s := range []error{ErrSymlink, ErrNotOwned, ErrNoReader, ErrIsDir} {
			if errors.Is(err, s) {
				return s.Error()
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, syscall.EISDIR):
		return ErrIsDir.Error()
	case errors.Is(err, fs.ErrPermission):
		return "permission denied: this user may not open it"
	case errors.As(err, &pe):
		return personal(pe.Err.Error())
	}
	return personal(err.Error())
}

// OpenInput opens a file named by flag for reading, refusing a directory;
// its errors are FileErrors. A symbolic link is followed: reading through
// one harms nothing (writing does: OpenPrivate).
func OpenInput(flag, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, FileErr(flag, path, err)
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		return nil, FileErr(flag, path, cmp.Or(err, ErrIsDir))
	}
	return f, nil
}
