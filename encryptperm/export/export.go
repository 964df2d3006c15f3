package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Format names an export format.
type Format string

// The formats.
const (
	// Terraform is HCL for the alicloud provider (see TerraformProviderVersion).
	Terraform Format = "terraform"
	// ROS is a Resource Orchestration Service template in JSON.
	ROS Format = "ros"
	// AliyunCLI is a bash script of aliyun-cli calls.
	AliyunCLI Format = "aliyun-cli"
)

// Formats lists the formats, in the order a user would read them.
func Formats() []Format { return []Format{Terraform, ROS, AliyunCLI} }

// ParseFormat reads a format name: terraform, ros or aliyun-cli.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("export: format %q: want terraform, ros or aliyun-cli: %w", s, encryptperm.ErrInvalid)
}

// Write writes p to w in format f. Reach for it when the format is chosen
// at run time (a flag, a setting: ParseFormat reads one); WriteTerraform,
// WriteROS and WriteAliyunCLI, which it calls, exist for code that always
// writes one format and should say so where it is written.
func Write(w io.Writer, f Format, p *encryptperm.Plan) error {
	switch f {
	case Terraform:
		return WriteTerraform(w, p)
	case ROS:
		return WriteROS(w, p)
	case AliyunCLI:
		return WriteAliyunCLI(w, p)
	}
	return fmt.Errorf("export: format %q: want terraform, ros or aliyun-cli: %w", f, encryptperm.ErrInvalid)
}

// targets reads the plan's targets, wrapping the error with the format.
func targets(format string, p *encryptperm.Plan) ([]encryptperm.RoleTarget, error) {
	ts, err := p.Targets()
	if err != nil {
		return nil, fmt.Errorf("export: %s: %w", format, err)
	}
	return ts, nil
}

// decode reads a document's JSON into a generic value, to look at its
// shape. The value is never written out: it would round big numbers and
// keep only the last of repeated keys.
func decode(doc string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return nil, fmt.Errorf("export: document is not JSON: %v: %w", err, encryptperm.ErrInvalid)
	}
	return v, nil
}

// indent returns a document as indented JSON, for people to read. It
// changes only the space between tokens: numbers, escapes and repeated keys
// stay as the plan holds them.
func indent(doc string) (string, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return "", fmt.Errorf("export: document is not JSON: %v: %w", err, encryptperm.ErrInvalid)
	}
	return b.String(), nil
}

// collidingKey returns a key of an object in doc that repeats another key
// of the same object, the two equal without regard to case, if any.
func collidingKey(doc string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var walk func() (string, bool)
	walk = func() (string, bool) {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return "", false
				}
				k, _ := kt.(string)
				if seen[strings.ToLower(k)] {
					return k, true
				}
				seen[strings.ToLower(k)] = true
				if k, ok := walk(); ok {
					return k, true
				}
			}
			dec.Token()
		case json.Delim('['):
			for dec.More() {
				if k, ok := walk(); ok {
					return k, true
				}
			}
			dec.Token()
		}
		return "", false
	}
	return walk()
}

// ident turns a RAM name into an identifier of lower-case letters, digits
// and underscores, starting with a letter: AliyunECSDiskEncryptDefaultRole
// becomes aliyun_ecs_disk_encrypt_default_role.
func ident(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case r >= 'A' && r <= 'Z':
			prevLower := i > 0 && (rs[i-1] >= 'a' && rs[i-1] <= 'z' || rs[i-1] >= '0' && rs[i-1] <= '9')
			nextLower := i > 0 && i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z' && rs[i-1] >= 'A' && rs[i-1] <= 'Z'
			if (prevLower || nextLower) && b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "r_" + s
	}
	return s
}

// names hands out unique identifiers.
type names map[string]bool

func (n names) get(base string) string { return n.unique(base, "_") }

// unique returns base, or base, sep and a number when base is taken.
func (n names) unique(base, sep string) string {
	s := base
	for i := 2; n[s]; i++ {
		s = fmt.Sprintf("%s%s%d", base, sep, i)
	}
	n[s] = true
	return s
}
