package ldapdir

import (
	"testing"

	"github.com/go-ldap/ldap/v3"

	"provpipe/pkg/scalix/directory"
)

func TestCandidateFilter(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"S=Test3", `(&(mail=*)(sn=Test3))`},
		{"S=Test4/G=User4", `(&(mail=*)(&(sn=Test4)(givenName=User4)))`},
		{"User0 Test0", `(&(mail=*)(|(&(sn=Test0)(givenName=User0))(cn=User0 Test0)))`},
		{"S=a*b(c)", `(&(mail=*)(sn=a\2ab\28c\29))`},
		{"S=Müller", `(&(mail=*)(sn=M\c3\bcller))`},
	}
	for _, tt := range tests {
		s, err := directory.ParseSpec(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		got := candidateFilter("(mail=*)", ScalixAttributes, s)
		if got != tt.want {
			t.Errorf("%s: %s, want %s", tt.spec, got, tt.want)
		}
		if _, err := ldap.CompileFilter(got); err != nil {
			t.Errorf("%s: filter does not compile: %v", tt.spec, err)
		}
	}
}
