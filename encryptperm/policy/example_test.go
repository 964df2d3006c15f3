package policy_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Parse reads what a user hands in strictly and lists every problem,
// each with its path.
func ExampleParse() {
	_, err := policy.Parse([]byte(`{
		"Version": "1",
		"Statement": [{
			"effect": "Allow",
			"Action": "sts:AssumeRole",
			"Principal": {"Service": "*@ecs.aliyuncs.com"},
			"Condition": {"StringEqual": {"sts:ServiceOwnerRDId": "rd-3GabcD"}}
		}]
	}`))
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Path)
		}
	}
	fmt.Println(errors.Is(err, policy.ErrInvalid))
	fmt.Println(err)
	// Output:
	// Statement[0].effect
	// Statement[0].Condition.StringEqual
	// Statement[0].Effect
	// true
	// encryptperm: invalid policy document: 3 problems
	// 	Statement[0].effect: unknown key (did you mean "Effect"?); allowed here: Effect, Action, NotAction, Resource, NotResource, Principal, Condition
	// 	Statement[0].Condition.StringEqual: unknown condition operator
	// 	Statement[0].Effect: missing; must be "Allow" or "Deny"
}

// Equal compares documents by meaning, as RAM does: a string equals a
// one-element list, and order and duplicates do not matter. Conditions must
// match exactly.
func ExampleDocument_Equal() {
	mine, err := policy.Parse([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
		"Principal":{"Service":["2000000000000002@ecs.aliyuncs.com","2000000000000001@ecs.aliyuncs.com"]}}]}`))
	if err != nil {
		log.Fatal(err)
	}
	// What RAM hands back: reformatted, keys reordered, duplicates kept.
	stored, err := policy.Read([]byte(`{
		"Statement": [{"Principal": {"Service": ["2000000000000001@ecs.aliyuncs.com", "2000000000000002@ecs.aliyuncs.com",
			"2000000000000001@ecs.aliyuncs.com"]}, "Action": ["sts:AssumeRole"], "Effect": "Allow"}],
		"Version": "1"}`))
	if err != nil {
		log.Fatal(err)
	}
	widened := stored.Clone()
	widened.Statement[0].Principal.Service = policy.Values{"*@ecs.aliyuncs.com"}
	fmt.Println(mine.Equal(stored))
	fmt.Println(mine.Equal(widened))
	// Output:
	// true
	// false
}
