package field

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestRename(t *testing.T) {
	names := Names{"API": "--api", "PageSize": "--page-size", "CA": "--ca"}
	plain := errors.New("connection refused")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"field error", Errorf("API", "%q: want http(s)://HOST[:PORT]/api", "ftp://x"), `--api "ftp://x": want http(s)://HOST[:PORT]/api`},
		{"another field", Errorf("PageSize", "must be at least 1"), "--page-size must be at least 1"},
		{"wrapped: the wrapper's text kept", fmt.Errorf("platform: %w; see --help", Errorf("API", "is empty")), "platform: --api is empty; see --help"},
		{"a text starting with a colon", Errorf("CA", ": %w", fs.ErrPermission), "--ca: permission denied"},
		{"field the command does not fill", Errorf("Realm", "is empty"), "Realm is empty"},
		{"not a field error", plain, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names.Rename(tt.err)
			if got.Error() != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenameKeepsTheChain(t *testing.T) {
	inner := Errorf("Omsearch", "/x: %w", fs.ErrNotExist)
	for _, err := range []error{inner, fmt.Errorf("find: %w", inner)} {
		got := Names{"Omsearch": "--omsearch"}.Rename(err)
		if !errors.Is(got, fs.ErrNotExist) {
			t.Errorf("%q: errors.Is lost fs.ErrNotExist", got)
		}
		var fe *Error
		if !errors.As(got, &fe) {
			t.Errorf("%q: no *Error in the chain", got)
		}
	}
}
