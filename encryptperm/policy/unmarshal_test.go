package policy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// TestUnmarshalJSON covers the edges of reading a document through
// encoding/json: null leaves it as it was, a nil receiver and a document
// beyond the bounds are errors, and a case-colliding top level is refused.
func TestUnmarshalJSON(t *testing.T) {
	const doc = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`

	var holder struct{ D *policy.Document }
	if err := json.Unmarshal([]byte(`{"D":`+doc+`}`), &holder); err != nil || holder.D == nil || len(holder.D.Statement) != 1 {
		t.Fatalf("unmarshal = %v, %+v; want one statement", err, holder.D)
	}
	before := holder.D.String()
	if err := holder.D.UnmarshalJSON([]byte(" null ")); err != nil || holder.D.String() != before {
		t.Errorf("null: err %v, document %s; want no error and %s", err, holder.D, before)
	}

	var nilDoc *policy.Document
	if err := nilDoc.UnmarshalJSON([]byte(doc)); err == nil {
		t.Error("unmarshal into a nil *Document succeeded")
	}

	var d policy.Document
	colliding := `{"Version":"1","Statement":[],"statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	if err := json.Unmarshal([]byte(colliding), &d); !errors.Is(err, policy.ErrInvalid) {
		t.Errorf("colliding top-level keys: err %v; want ErrInvalid", err)
	}

	deep := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","X":` +
		strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`
	if err := json.Unmarshal([]byte(deep), &d); !errors.Is(err, policy.ErrLimitExceeded) {
		t.Errorf("100 levels deep: err %v; want ErrLimitExceeded", err)
	}
}
