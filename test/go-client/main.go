// Command go-client drives the egress API with LiveKit's Go server SDK (server-sdk-go), which speaks Twirp
// with binary protobuf bodies exactly as the `lk` CLI does. The tests use it to prove protobuf compatibility.
//
// Usage: go-client <command> [flags]; prints the resulting EgressInfo (or list) as protojson on stdout.
// Errors print "twirp <code>: <msg>" on stderr and exit 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/twitchtv/twirp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: go-client <start-track-ws|list|stop|update-layout> [flags]"))
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	url := fs.String("url", os.Getenv("EGRESS_URL"), "egress API base URL")
	key := fs.String("api-key", os.Getenv("LIVEKIT_API_KEY"), "API key")
	secret := fs.String("api-secret", os.Getenv("LIVEKIT_API_SECRET"), "API secret")
	room := fs.String("room", "", "room name")
	track := fs.String("track", "", "track id")
	ws := fs.String("ws", "", "websocket URL")
	id := fs.String("id", "", "egress id")
	active := fs.Bool("active", false, "only active egresses")
	if err := fs.Parse(os.Args[2:]); err != nil {
		fail(err)
	}
	client := lksdk.NewEgressClient(*url, *key, *secret)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var res proto.Message
	var err error
	switch cmd {
	case "start-track-ws":
		res, err = client.StartTrackEgress(ctx, &livekit.TrackEgressRequest{
			RoomName: *room,
			TrackId:  *track,
			Output:   &livekit.TrackEgressRequest_WebsocketUrl{WebsocketUrl: *ws},
		})
	case "list":
		res, err = client.ListEgress(ctx, &livekit.ListEgressRequest{RoomName: *room, EgressId: *id, Active: *active})
	case "stop":
		res, err = client.StopEgress(ctx, &livekit.StopEgressRequest{EgressId: *id})
	case "update-layout":
		res, err = client.UpdateLayout(ctx, &livekit.UpdateLayoutRequest{EgressId: *id, Layout: "speaker"})
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fail(err)
	}
	out, err := protojson.Marshal(res)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	var terr twirp.Error
	if errors.As(err, &terr) {
		fmt.Fprintf(os.Stderr, "twirp %s: %s\n", terr.Code(), terr.Msg())
	} else {
		fmt.Fprintln(os.Stderr, err.Error())
	}
	os.Exit(1)
}
