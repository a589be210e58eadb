# The two commands of the quick start. Both install what is missing first (scripts/setup.sh).
.PHONY: demo test build clean

demo:            ## Replay the bundled covid-crash-2020 scenario and print the summary.
	bash scripts/demo.sh

test:            ## Build (no warnings allowed) and run every test.
	bash scripts/test.sh

build:
	swift build

clean:
	rm -rf .build
