package gobuild_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
)

// Build a handler into an asset folder for provided.al2023 on arm64.
func ExampleBuild() {
	dir, err := gobuild.Build("../../examples/handlers/hello", &gobuild.Options{CacheDir: os.TempDir() + "/gobuild-example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := os.ReadDir(dir)
	fmt.Println(filepath.Base(filepath.Dir(dir)), entries[0].Name())
	// Output: gobuild-example bootstrap
}
