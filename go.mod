module github.com/abbridge/ab_bridge

go 1.26.8

require (
	github.com/expr-lang/expr v1.17.8
	github.com/gorilla/websocket v1.5.3
	github.com/joho/godotenv v1.5.1
	github.com/stretchr/testify v1.12.1
	github.com/tiiuae/rclgo v0.0.0-20240131135202-56b24e11219b
	github.com/vmihailenco/msgpack/v5 v5.4.1
	github.com/zishang520/socket.io/clients/engine/v3 v3.0.1
	github.com/zishang520/socket.io/clients/socket/v3 v3.0.1
	github.com/zishang520/socket.io/parsers/engine/v3 v3.0.2
	github.com/zishang520/socket.io/parsers/socket/v3 v3.0.2
	github.com/zishang520/socket.io/servers/engine/v3 v3.0.2
	github.com/zishang520/socket.io/servers/socket/v3 v3.0.2
	github.com/zishang520/socket.io/v3 v3.0.2
	golang.org/x/image v0.48.0
	golang.org/x/sys v0.50.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/alessio/shellescape v1.4.2 // indirect
	github.com/andybalholm/brotli v1.2.1 // indirect
	github.com/dunglas/httpsfv v1.1.0 // indirect
	github.com/fsnotify/fsnotify v1.6.0 // indirect
	github.com/gookit/color v1.6.0 // indirect
	github.com/hashicorp/hcl v1.0.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/kivilahtio/go-re v0.1.8 // indirect
	github.com/klauspost/compress v1.18.5 // indirect
	github.com/magiconair/properties v1.8.7 // indirect
	github.com/mitchellh/go-homedir v1.1.0 // indirect
	github.com/mitchellh/mapstructure v1.5.0 // indirect
	github.com/pelletier/go-toml/v2 v2.0.8 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	github.com/quic-go/quic-go v0.59.0 // indirect
	github.com/quic-go/webtransport-go v0.10.0 // indirect
	github.com/spf13/afero v1.9.5 // indirect
	github.com/spf13/cast v1.5.1 // indirect
	github.com/spf13/cobra v1.7.0 // indirect
	github.com/spf13/jwalterweatherman v1.1.0 // indirect
	github.com/spf13/pflag v1.0.5 // indirect
	github.com/spf13/viper v1.16.0 // indirect
	github.com/subosito/gotenv v1.4.2 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	github.com/xo/terminfo v0.0.0-20220910002029-abceb7e1c41e // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/exp v0.0.0-20230811145659-89c5cff77bcb // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
	gopkg.in/ini.v1 v1.67.0 // indirect
	resty.dev/v3 v3.0.0-beta.6 // indirect
)
