package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRedisURL(t *testing.T) {
	cases := []struct {
		url      string
		want     Redis
		redacted string
	}{
		{"", Redis{}, ""},
		{"redis://127.0.0.1:6379/0", Redis{Mode: RedisSingle, Addrs: []string{"127.0.0.1:6379"}},
			"redis://127.0.0.1:6379"},
		{"redis://localhost", Redis{Mode: RedisSingle, Addrs: []string{"localhost:6379"}}, "redis://localhost:6379"},
		{"rediss://duban:p%40ss@redis.example:6380/3",
			Redis{Mode: RedisSingle, Addrs: []string{"redis.example:6380"}, DB: 3, Username: "duban", Password: "p@ss", TLS: true},
			"rediss://duban:xxxxx@redis.example:6380/3"},
		{"redis://[::1]:7000", Redis{Mode: RedisSingle, Addrs: []string{"[::1]:7000"}}, "redis://[::1]:7000"},
		{"10.0.0.1:7000", Redis{Mode: RedisSingle, Addrs: []string{"10.0.0.1:7000"}}, "redis://10.0.0.1:7000"},
		{"10.0.0.1:7000,10.0.0.2:7000, 10.0.0.3:7000",
			Redis{Mode: RedisCluster, Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}},
			"redis://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000"},
		{"rediss://:pw@a:7000,rediss://:pw@b:7000",
			Redis{Mode: RedisCluster, Addrs: []string{"a:7000", "b:7000"}, Password: "pw", TLS: true},
			"rediss://:xxxxx@a:7000,b:7000"},
		{"redis://a:7000,b:7001/0", Redis{Mode: RedisCluster, Addrs: []string{"a:7000", "b:7001"}}, "redis://a:7000,b:7001"},
		{"redis-sentinel://s1:26379,s2:26380/mymaster",
			Redis{Mode: RedisSentinel, Addrs: []string{"s1:26379", "s2:26380"}, MasterName: "mymaster"},
			"redis-sentinel://s1:26379,s2:26380/mymaster"},
		{"redis-sentinel://:pw@s1,s2/mymaster/4",
			Redis{Mode: RedisSentinel, Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "mymaster", DB: 4, Password: "pw"},
			"redis-sentinel://:xxxxx@s1:26379,s2:26379/mymaster/4"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			got, err := ParseRedisURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			c.want.URL = c.url
			if c.url == "" {
				c.want.URL = ""
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
			if r := got.Redacted(); r != c.redacted {
				t.Errorf("Redacted() = %q, want %q", r, c.redacted)
			}
		})
	}
}

func TestParseRedisURLErrors(t *testing.T) {
	cases := []struct{ url, msg string }{
		{"http://x:1", "scheme"},
		{"redis://x:abc", "port"},
		{"redis://x:70000", "port"},
		{"redis://:secret@x/db", "database"},
		{"redis://x/-1", "database"},
		{"redis://x?dial_timeout=1s", "query"},
		{"redis://a:1/2,redis://b:1/2", "only database 0"},
		{"redis://a:1,rediss://b:1", "mixes"},
		{"redis://:p1@a:1,redis://:p2@b:1", "different credentials"},
		{"redis-sentinel://s1,s2", "master name"},
		{"redis-sentinel://s1,redis://s2/m", "host:port"},
		{"redis://,b:1", "host:port"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			_, err := ParseRedisURL(c.url)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("ParseRedisURL(%q) = %v, want an error with %q", c.url, err, c.msg)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
