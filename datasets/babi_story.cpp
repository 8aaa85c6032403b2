#include "datasets/babi_story.h"

#include <algorithm>
#include <map>
#include <optional>

#include "util/error.h"

namespace kvb {
namespace {

const Strings kLocations = {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"};
const Strings kObjects = {"apple", "football", "milk"};
const Strings kActorsQa1To3 = {"John", "Mary", "Sandra", "Daniel"};
const Strings kActorsQa5 = {"Bill", "Fred", "Jeff", "Mary"};
const Strings kMoveVerbs = {"went to", "journeyed to", "travelled to", "moved to", "went back to"};
const Strings kGetVerbs = {"got", "took", "grabbed", "picked up"};
const Strings kDropVerbs = {"dropped", "discarded", "left", "put down"};
const Strings kGiveVerbs = {"gave", "handed", "passed"};

// The bAbI world: who is where, who holds what, where each object has been.
class World {
 public:
  World(const Strings& actors, Rng& rng) : actors_(actors), rng_(rng) {}

  // One random valid action (move/get/drop, and give when allowed) as a fact;
  // bAbI's Clause sampling: draw uniformly, reject invalid, up to 100 tries.
  std::string Act(bool allow_objects, bool allow_give) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const std::string& actor = rng_.Pick(actors_);
      const int kinds = allow_objects ? (allow_give ? 4 : 3) : 1;
      switch (rng_.Below(kinds)) {
        case 0: {  // move
          const std::string& to = rng_.Pick(kLocations);
          if (location_.count(actor) && location_[actor] == to) continue;
          location_[actor] = to;
          for (const auto& [object, holder] : holder_)
            if (holder == actor) Visit(object, to);
          last_give_.reset();
          return StrCat(actor, " ", rng_.Pick(kMoveVerbs), " the ", to, ".");
        }
        case 1: {  // get: object where the actor is, not held
          if (!location_.count(actor)) continue;
          const std::string& object = rng_.Pick(kObjects);
          if (holder_.count(object)) continue;
          if (object_location_.count(object) && object_location_[object] != location_[actor]) continue;
          holder_[object] = actor;
          Visit(object, location_[actor]);
          last_give_.reset();
          return StrCat(actor, " ", rng_.Pick(kGetVerbs), " the ", object, rng_.Below(4) == 0 ? "" : " there", ".");
        }
        case 2: {  // drop: object held by the actor
          const std::string& object = rng_.Pick(kObjects);
          if (!holder_.count(object) || holder_[object] != actor) continue;
          holder_.erase(object);
          last_give_.reset();
          return StrCat(actor, " ", rng_.Pick(kDropVerbs), " the ", object, rng_.Below(5) == 0 ? " there" : "", ".");
        }
        default: {  // give: actor holds object, recipient in the same place
          const std::string& object = rng_.Pick(kObjects);
          const std::string& recipient = rng_.Pick(actors_);
          if (!holder_.count(object) || holder_[object] != actor || recipient == actor) continue;
          if (!location_.count(recipient) || location_[recipient] != location_[actor]) continue;
          holder_[object] = recipient;
          last_give_ = Give{actor, object, recipient};
          return StrCat(actor, " ", rng_.Pick(kGiveVerbs), " the ", object, " to ", recipient, ".");
        }
      }
    }
    return "";
  }

  // A give among the current (holder, recipient in the same place) pairs, or "".
  std::string GiveIfPossible() {
    std::vector<Give> options;
    for (const auto& [object, holder] : holder_)
      for (const auto& recipient : actors_)
        if (recipient != holder && location_.count(recipient) && location_[recipient] == location_[holder])
          options.push_back({holder, object, recipient});
    if (options.empty()) return "";
    const Give give = rng_.Pick(options);
    holder_[give.object] = give.recipient;
    last_give_ = give;
    return StrCat(give.giver, " ", rng_.Pick(kGiveVerbs), " the ", give.object, " to ", give.recipient, ".");
  }

  // Moves a random other actor to where someone holding an object is, or "".
  std::string MeetAHolder() {
    if (holder_.empty()) return "";
    const std::string holder = holder_.begin()->second;
    const std::string& mover = rng_.Pick(actors_);
    if (mover == holder || (location_.count(mover) && location_[mover] == location_[holder])) return "";
    location_[mover] = location_[holder];
    for (const auto& [object, h] : holder_)
      if (h == mover) Visit(object, location_[mover]);
    last_give_.reset();
    return StrCat(mover, " ", rng_.Pick(kMoveVerbs), " the ", location_[mover], ".");
  }

  std::optional<std::string> ActorLocation(const std::string& actor) const {
    auto it = location_.find(actor);
    return it == location_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  // Where an object is now, when the story lets a reader derive it.
  std::optional<std::string> ObjectLocation(const std::string& object) const {
    auto it = object_location_.find(object);
    return it == object_location_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  const Strings& History(const std::string& object) { return history_[object]; }

  struct Give {
    std::string giver, object, recipient;
  };
  std::optional<Give> last_give_;

 private:
  void Visit(const std::string& object, const std::string& location) {
    object_location_[object] = location;
    Strings& h = history_[object];
    if (h.empty() || h.back() != location) h.push_back(location);
  }

  const Strings& actors_;
  Rng& rng_;
  std::map<std::string, std::string> location_, holder_, object_location_;
  std::map<std::string, Strings> history_;
};

BabiStory Qa1(Rng& rng) {
  World world(kActorsQa1To3, rng);
  BabiStory story;
  const auto rounds = rng.Between(1, 5);
  std::vector<std::string> movers;
  for (std::int64_t r = 0; r < rounds; ++r) {
    for (int i = 0; i < 2; ++i) story.facts.push_back(world.Act(false, false));
  }
  for (const auto& actor : kActorsQa1To3)
    if (world.ActorLocation(actor)) movers.push_back(actor);
  const std::string& actor = rng.Pick(movers);
  story.question = StrCat("Where is ", actor, "?");
  story.answer = *world.ActorLocation(actor);
  return story;
}

// qa2/qa3: random move/get/drop facts; ask once `ready` holds after > 2 new facts,
// with probability 1/2, at the k-th such chance (k in 1..5).
template <typename Ready>
BabiStory ObjectStory(Rng& rng, std::size_t max_facts, Ready ready) {
  World world(kActorsQa1To3, rng);
  BabiStory story;
  const auto wanted = rng.Between(1, 5);
  std::int64_t asked = 0;
  std::size_t since_question = 0;
  while (story.facts.size() < max_facts) {
    const std::string fact = world.Act(true, false);
    if (fact.empty()) continue;
    story.facts.push_back(fact);
    ++since_question;
    if (since_question <= 2 || rng.Below(2) == 0) continue;
    if (auto qa = ready(world, rng)) {
      since_question = 0;
      if (++asked == wanted || story.facts.size() + 3 > max_facts) {
        story.question = qa->first;
        story.answer = qa->second;
        return story;
      }
    }
  }
  // Ran out of room: ask whatever is answerable now (always something by then).
  for (int i = 0; i < 1000; ++i) {
    if (auto qa = ready(world, rng)) {
      story.question = qa->first;
      story.answer = qa->second;
      return story;
    }
    story.facts.push_back(world.Act(true, false));
  }
  throw Error("bAbI generator: no answerable question (internal)");
}

BabiStory Qa2(Rng& rng) {
  return ObjectStory(rng, 68, [](World& world, Rng& r) -> std::optional<std::pair<std::string, std::string>> {
    Strings known;
    for (const auto& object : kObjects)
      if (world.ObjectLocation(object)) known.push_back(object);
    if (known.empty()) return std::nullopt;
    const std::string& object = r.Pick(known);
    return std::make_pair(StrCat("Where is the ", object, "?"), *world.ObjectLocation(object));
  });
}

BabiStory Qa3(Rng& rng) {
  return ObjectStory(rng, 32, [](World& world, Rng& r) -> std::optional<std::pair<std::string, std::string>> {
    Strings moved;
    for (const auto& object : kObjects)
      if (world.History(object).size() >= 2) moved.push_back(object);
    if (moved.empty()) return std::nullopt;
    const std::string& object = r.Pick(moved);
    const Strings& h = world.History(object);
    return std::make_pair(StrCat("Where was the ", object, " before the ", h.back(), "?"), h[h.size() - 2]);
  });
}

BabiStory Qa4(Rng& rng) {
  // Three places in a line: a is <first> of b, b is <first> of c.
  const auto picks = rng.SampleIndices(kLocations.size(), 3);
  const std::string a = kLocations[picks[0]], b = kLocations[picks[1]], c = kLocations[picks[2]];
  const bool north_south = rng.Below(2) == 0;
  const std::string forward = north_south ? "north" : "west", backward = north_south ? "south" : "east";
  struct Relation {
    std::string x, dir, y;  // "The x is dir of the y."
  };
  std::vector<Relation> relations;
  for (const auto& [first, second] : {std::make_pair(a, b), std::make_pair(b, c)}) {
    relations.push_back(rng.Below(2) == 0 ? Relation{first, forward, second} : Relation{second, backward, first});
  }
  rng.Shuffle(relations);
  BabiStory story;
  for (const auto& r : relations) story.facts.push_back(StrCat("The ", r.x, " is ", r.dir, " of the ", r.y, "."));
  const Relation& asked = rng.Pick(relations);
  if (rng.Below(2) == 0) {
    story.question = StrCat("What is the ", asked.x, " ", asked.dir, " of?");
    story.answer = asked.y;
  } else {
    story.question = StrCat("What is ", asked.dir, " of the ", asked.y, "?");
    story.answer = asked.x;
  }
  return story;
}

BabiStory Qa5(Rng& rng) {
  World world(kActorsQa5, rng);
  BabiStory story;
  // Gives need a holder and a recipient in one place: besides random actions, steer
  // the story towards a meeting and a give, so stories stay within bAbI's 2-126 facts.
  for (int guard = 0; guard < 10000 && story.facts.size() < 120; ++guard) {
    std::string fact;
    const auto roll = rng.Below(6);
    if (roll == 0) fact = world.GiveIfPossible();
    if (roll == 1) fact = world.MeetAHolder();
    if (fact.empty()) fact = world.Act(true, true);
    if (fact.empty()) continue;
    story.facts.push_back(fact);
    if (!world.last_give_) continue;
    const World::Give give = *world.last_give_;
    // 0-5 unrelated facts after the give, then a question about it.
    const auto extra = rng.Between(0, 5);
    for (std::int64_t i = 0; i < extra; ++i) {
      const std::string more = world.Act(true, false);
      if (!more.empty()) story.facts.push_back(more);
    }
    switch (rng.Below(5)) {
      case 0:
        story.question = StrCat("What did ", give.giver, " give to ", give.recipient, "?");
        story.answer = give.object;
        break;
      case 1:
        story.question = StrCat("Who gave the ", give.object, "?");
        story.answer = give.giver;
        break;
      case 2:
        story.question = StrCat("Who gave the ", give.object, " to ", give.recipient, "?");
        story.answer = give.giver;
        break;
      case 3:
        story.question = StrCat("Who did ", give.giver, " give the ", give.object, " to?");
        story.answer = give.recipient;
        break;
      default:
        story.question = StrCat("Who received the ", give.object, "?");
        story.answer = give.recipient;
        break;
    }
    return story;
  }
  throw Error("bAbI generator: qa5 found no give (internal)");
}

}  // namespace

BabiStory GenerateBabiStory(const std::string& task, Rng& rng) {
  if (task == "qa1") return Qa1(rng);
  if (task == "qa2") return Qa2(rng);
  if (task == "qa3") return Qa3(rng);
  if (task == "qa4") return Qa4(rng);
  if (task == "qa5") return Qa5(rng);
  throw ConfigError(StrCat("bAbI generator: unknown task '", task, "' (expected qa1..qa5)"));
}

}  // namespace kvb
