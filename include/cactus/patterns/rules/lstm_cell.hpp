#pragma once
// lstm_cell: one LSTM step written by hand from its gates (the classic PyTorch LSTMCell
// re-implementation, custom recurrent layers in speech models):
//     gates = self.x2h(x) + self.h2h(h)
//     i, f, g, o = gates.chunk(4, 1)
//     c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
//     h = torch.sigmoid(o) * torch.tanh(c)
// (products in either order). The gate projections stay linear ops; the fused op produces
// both h and c. aten::lstm itself is one op already (ops/lstm.hpp) and runs the same kernel.
// Not fused: gates in another order (e.g. tanh on the last chunk), a chunk along another dim,
// c not returned from the same computation that feeds h.
#include "cactus/patterns/dsl.hpp"

namespace cactus::patterns::rules {

namespace lstm {
using gates = var<"gates">;
// chunk(4, dim=-1) (split mode 0, 4 pieces) or split(H, dim=-1) (mode 1) with 4 outputs
template <int I>
using gate = alt<out<I, node<"split", gates, where<any, last_dim_of<gates>>, lit<0>, lit<4>>>, out<I, node<"split", gates, where<any, last_dim_of<gates>>, lit<1>, any>>>;
using c_new = as<var<"c_new">, node<"add", node<"mul", node<"sigmoid", gate<1>>, var<"c">>, node<"mul", node<"sigmoid", gate<0>>, node<"tanh", gate<2>>>,
                                   lit<1>>>;
using h_new = node<"mul", node<"sigmoid", gate<3>>, node<"tanh", c_new>>;
}  // namespace lstm

using lstm_cell = rule<"lstm_cell", lstm::h_new, make_multi<"lstm_cell", outputs<var<"c_new">>, lstm::gates, var<"c">>>;

}  // namespace cactus::patterns::rules
