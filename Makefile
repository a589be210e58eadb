# The two commands of the quick start. Both install what is missing first (scripts/setup.sh).
.PHONY: demo test build clean

demo:            ## Replay covid-crash-2020 with the default agent desk (make demo ARGS="--desk buy-and-hold" for a rule desk).
	bash scripts/demo.sh $(ARGS)

test:            ## Build (no warnings allowed) and run every test.
	bash scripts/test.sh

build:
	swift build

clean:
	rm -rf .build
