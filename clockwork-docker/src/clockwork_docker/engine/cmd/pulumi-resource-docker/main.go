// Command pulumi-resource-docker is the engine plugin for the pulumi_docker SDK.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"clockwork.invalid/dockerbridge/bridge"
)

// schema.json is written by pulumi-tfgen-docker before this is built.
//
//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("docker", bridge.Version, bridge.Provider(), schema)
}
