// Command pulumi-tfgen-docker writes the Pulumi schema of Clockwork's Docker bridge.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"clockwork.invalid/dockerbridge/bridge"
)

func main() {
	tfgen.Main("docker", bridge.Version, bridge.Provider())
}
