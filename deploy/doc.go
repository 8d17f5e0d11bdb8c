// Package deploy holds what it takes to run duban for real: a systemd unit (systemd/),
// Kubernetes manifests (kubernetes/, applied with `kubectl apply -k`), a docker-compose file
// with Redis, Prometheus and Grafana (compose/), the production redis.conf (redis/), the
// example configuration they share (config/), and Prometheus's scrape config and alerting
// rules (prometheus/). It has no code: its tests parse every file and check the references
// between them — image, ports, probe paths, mounts, tokens, passwords, configuration keys —
// since docker and a Kubernetes cluster are not at hand where they run. See docs/deploy.md.
package deploy
