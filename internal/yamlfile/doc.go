// Package yamlfile owns what the project's strict YAML files (the node's
// configuration, the learning policies) share: problems located at
// file:line, yaml.v3's decoding errors turned into such problems, and the
// lookup of a setting's line from its path in the document.
package yamlfile
