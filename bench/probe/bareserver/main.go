// Command bareserver answers every request with a small fixed JSON body: the reference server
// the probe's throughput is compared on (the same as the contract check's fixture).
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: bareserver HOST:PORT")
	}
	body := []byte(`{"ok":true}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(os.Args[1], h))
}
