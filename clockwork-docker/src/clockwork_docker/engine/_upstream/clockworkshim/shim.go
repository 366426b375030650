// Package clockworkshim exposes the provider of this module, whose own package is
// internal, to Clockwork's bridge: only code inside the module may import it, so
// Clockwork's build adds this one file to a copy of the module.
package clockworkshim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// Provider is the SDKv2 provider with only the named resources (and no data
// sources): the bridge then needs to map, and the schema to describe, nothing else.
func Provider(version string, resources ...string) *schema.Provider {
	p := provider.New(version)()
	kept := make(map[string]*schema.Resource, len(resources))
	for _, name := range resources {
		if r, ok := p.ResourcesMap[name]; ok {
			kept[name] = r
		}
	}
	p.ResourcesMap = kept
	p.DataSourcesMap = map[string]*schema.Resource{}
	return p
}
