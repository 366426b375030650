// Command pulumi-resource-docker is the engine plugin for the pulumi_docker SDK.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"

	"clockwork.invalid/dockerbridge/bridge"
)

func main() {
	info := bridge.Provider()
	// The Pulumi schema is made from the bridge when the plugin starts (a fraction of a
	// second), not kept in our sources: it carries the upstream provider's own texts.
	// Its notes (about upstream docs it cannot find) are for a package author, not for
	// an engine run: they are dropped; a real failure still stops the plugin.
	quiet := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	spec, err := tfgen.GenerateSchema(info, quiet)
	if err == nil {
		var schema []byte
		if schema, err = json.Marshal(spec); err == nil {
			tfbridge.Main("docker", bridge.Version, info, schema)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "pulumi-resource-docker: cannot make its schema: %v\n", err)
	os.Exit(1)
}
