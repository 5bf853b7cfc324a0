package config

import "github.com/abbridge/ab_bridge/internal/secret"

// APIKey finds the brain's API key, in order: the environment variable named
// by api_key_env, the same name in the env_file (a .env file; a missing one is
// fine), the contents of api_key_file. It returns where the key came from so
// the node can log the source — never the key. An empty key is not an error:
// the local brain needs none.
func (b Brain) APIKey(getenv func(string) string) (key, source string, err error) {
	return secret.Source{Env: b.APIKeyEnv, EnvFile: b.EnvFile, File: b.APIKeyFile}.Lookup(getenv)
}
