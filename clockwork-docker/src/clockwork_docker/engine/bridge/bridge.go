// Package bridge maps the Terraform Docker provider onto the Pulumi package
// `docker`, for the few resources Clockwork deploys (see clockwork_docker/program.py).
package bridge

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/clockworkshim"
)

// Version is the pulumi_docker SDK's: the engine looks the plugin up by it.
const Version = "5.2.0"

// Pulumi tokens as the pulumi_docker Python SDK sends them.
var resources = map[string]string{
	"docker_container": "docker:index/container:Container",
	"docker_network":   "docker:index/network:Network",
	"docker_image":     "docker:index/remoteImage:RemoteImage",
}

// The fields whose wire names are not the bridge's default (it pluralises list
// fields): the SDK's names, checked against its Args classes.
var fieldNames = map[string]map[string]string{
	"docker_container": {"command": "command", "networks_advanced": "networksAdvanced"},
}

// Names a Docker daemon holds once (Clockwork always sets them): a replacement can
// only be created after the old one is gone.
var uniquelyNamed = map[string]bool{"docker_container": true, "docker_network": true}

var configNames = map[string]string{"registry_auth": "registryAuth"}

func renamed(names map[string]string) map[string]*tfbridge.SchemaInfo {
	fields := make(map[string]*tfbridge.SchemaInfo, len(names))
	for tfName, pulumiName := range names {
		fields[tfName] = &tfbridge.SchemaInfo{Name: pulumiName}
	}
	return fields
}

// Provider is the bridge's description of the package.
func Provider() tfbridge.ProviderInfo {
	names := make([]string, 0, len(resources))
	mapped := make(map[string]*tfbridge.ResourceInfo, len(resources))
	for name, token := range resources {
		names = append(names, name)
		mapped[name] = &tfbridge.ResourceInfo{
			Tok:                 tokens.Type(token),
			Fields:              renamed(fieldNames[name]),
			DeleteBeforeReplace: uniquelyNamed[name],
		}
	}
	return tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(clockworkshim.Provider(Version, names...)),
		Name:        "docker",
		GitHubOrg:   "kreuzwerker",
		Version:     Version,
		Description: "Clockwork's bridge of the Terraform Docker provider (containers, networks, images).",
		Config:      renamed(configNames),
		Resources:   mapped,
	}
}
