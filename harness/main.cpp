#include "harness/command.h"

int main(int argc, char** argv) { return kvb::RunCli(argc, argv); }
