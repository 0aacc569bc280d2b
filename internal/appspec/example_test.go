package appspec_test

import (
	"fmt"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
)

func ExampleParse() {
	f, err := appspec.Parse(`{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function",` +
		`"Properties":{"Name":"my-api","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}]}`)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s:%s from %s to %s\n", f.Name, f.Alias, f.CurrentVersion, f.TargetVersion)
	// Output: my-api:live from 6 to 7
}
